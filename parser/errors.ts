/**
 * The one error the job-file parser throws, with Upstart's exact messages (see
 * docs/job-files.md#parse-errors).
 *
 * @module
 */

/**
 * What went wrong: one value per Upstart parse error (see docs/job-files.md#parse-errors), then
 * daybreak's own for the arguments of its extension stanzas.
 */
export type JobSyntaxErrorKind =
  | "EXPECTED_TOKEN"
  | "UNEXPECTED_TOKEN"
  | "TRAILING_SLASH"
  | "UNTERMINATED_QUOTE"
  | "UNTERMINATED_BLOCK"
  | "UNKNOWN_STANZA"
  | "ILLEGAL_INTERVAL"
  | "ILLEGAL_EXIT"
  | "ILLEGAL_SIGNAL"
  | "ILLEGAL_UMASK"
  | "ILLEGAL_NICE"
  | "ILLEGAL_OOM"
  | "ILLEGAL_LIMIT"
  | "EXPECTED_EVENT"
  | "EXPECTED_OPERATOR"
  | "EXPECTED_VARIABLE"
  | "MISMATCHED_PARENS"
  // daybreak extension stanzas (`parser/extension_stanzas.ts`); Upstart has no such errors.
  | "ILLEGAL_CAPABILITY"
  | "ILLEGAL_PATH"
  | "ILLEGAL_HOSTNAME"
  | "ILLEGAL_ACTION"
  | "ILLEGAL_NAME"
  | "ILLEGAL_SECCOMP"
  | "ILLEGAL_SYSCALL";

/**
 * Upstart's message for each kind. `ILLEGAL_OOM` here is the legacy `oom N` text;
 * `oom score N` uses {@linkcode OOM_SCORE_MESSAGE}.
 *
 * @example
 * ```ts
 * import { JOB_SYNTAX_MESSAGES } from "./errors.ts";
 * JOB_SYNTAX_MESSAGES.UNKNOWN_STANZA; // "Unknown stanza"
 * ```
 */
export const JOB_SYNTAX_MESSAGES: Readonly<Record<JobSyntaxErrorKind, string>> = {
  EXPECTED_TOKEN: "Expected token",
  UNEXPECTED_TOKEN: "Unexpected token",
  TRAILING_SLASH: "Trailing slash in file",
  UNTERMINATED_QUOTE: "Unterminated quoted string",
  UNTERMINATED_BLOCK: "Unterminated block",
  UNKNOWN_STANZA: "Unknown stanza",
  ILLEGAL_INTERVAL: "Illegal interval, expected number of seconds",
  ILLEGAL_EXIT: "Illegal exit status, expected integer",
  ILLEGAL_SIGNAL: "Illegal signal status, expected integer",
  ILLEGAL_UMASK: "Illegal file creation mask, expected octal integer",
  ILLEGAL_NICE: "Illegal nice value, expected -20 to 19",
  ILLEGAL_OOM: "Illegal oom adjustment, expected -16 to 15 or 'never'",
  ILLEGAL_LIMIT: "Illegal limit, expected 'unlimited' or integer",
  EXPECTED_EVENT: "Expected event",
  EXPECTED_OPERATOR: "Expected operator",
  EXPECTED_VARIABLE: "Expected variable name before value",
  MISMATCHED_PARENS: "Mismatched parentheses",
  ILLEGAL_CAPABILITY: "Illegal capability name",
  ILLEGAL_PATH: "Illegal path, expected absolute path",
  ILLEGAL_HOSTNAME: "Illegal host name, expected 1 to 64 letters, digits, '-' or '.'",
  ILLEGAL_ACTION: "Illegal action, expected start, stop, restart, reload or all",
  ILLEGAL_NAME: "Illegal user or group name",
  ILLEGAL_SECCOMP: "Illegal seccomp rule, expected default, deny or allow",
  ILLEGAL_SYSCALL: "Illegal system call name",
};

/** Upstart's `ILLEGAL_OOM` text for `oom score N` (the legacy form has its own). */
export const OOM_SCORE_MESSAGE = "Illegal oom score adjustment, expected -999 to 1000 or 'never'";

/** Where an error happened, and which variant of the message to use. */
export interface JobSyntaxErrorInit {
  /** 1-based line, as Upstart reports it (see docs/job-files.md#error-lines). */
  readonly line: number;
  /** 1-based column of the offending token (a daybreak addition). */
  readonly column: number;
  /** Path of the file parsed, or null for text without a file. */
  readonly file?: string | null;
  /** Use the `oom score` text for `ILLEGAL_OOM`. */
  readonly oomScore?: boolean;
}

/**
 * A syntax error in a job file. `message` is exactly Upstart's text.
 *
 * @example Formatting an error
 * ```ts
 * import assert from "node:assert/strict";
 * import { JobSyntaxError } from "./errors.ts";
 * const err = new JobSyntaxError("UNKNOWN_STANZA", { line: 3, column: 1, file: "/etc/init/x.conf" });
 * assert.equal(err.format(), "/etc/init/x.conf:3:1: Unknown stanza");
 * ```
 */
export class JobSyntaxError extends SyntaxError {
  readonly kind: JobSyntaxErrorKind;
  readonly file: string | null;
  readonly line: number;
  readonly column: number;

  /**
   * @param kind Which error.
   * @param init Position, file and message variant.
   */
  constructor(kind: JobSyntaxErrorKind, init: JobSyntaxErrorInit) {
    super(
      kind === "ILLEGAL_OOM" && init.oomScore === true
        ? OOM_SCORE_MESSAGE
        : JOB_SYNTAX_MESSAGES[kind],
    );
    this.name = "JobSyntaxError";
    this.kind = kind;
    this.file = init.file ?? null;
    this.line = init.line;
    this.column = init.column;
  }

  /**
   * Renders `FILE:LINE:COL: MESSAGE`, or `LINE:COL: MESSAGE` without a file.
   *
   * @returns The one-line report.
   */
  format(): string {
    const where = `${this.line}:${this.column}: ${this.message}`;
    return this.file === null ? where : `${this.file}:${where}`;
  }
}
