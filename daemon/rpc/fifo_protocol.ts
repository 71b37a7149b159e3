/**
 * The command FIFO's line protocol (see docs/pid1.md#the-command-fifo): what `bin/initctl` and
 * `bin/telinit` write there for root callers instead of starting Deno. One command a line,
 * words separated by spaces:
 *
 * - `emit NAME [KEY=VALUE]...`: `initctl emit --no-wait NAME [KEY=VALUE]...`;
 * - `telinit [RUNLEVEL=VALUE] ARG...`: `telinit ARG...`, with the caller's `$RUNLEVEL` when it was
 *   set (telinit takes the previous runlevel from it).
 *
 * A line is at most {@linkcode FIFO_LINE_MAX} bytes with its newline, the size of one atomic
 * pipe write, so lines of concurrent writers never interleave. This module only splits and
 * tokenises: the name and variables are checked by the same code as the control socket's
 * requests. Whatever bytes come in, the reader returns requests and typed rejections; it never
 * throws.
 *
 * @module
 */

/** The longest line, newline included: `PIPE_BUF`, the size of an atomic write to a pipe. */
export const FIFO_LINE_MAX = 4096;

/** A command read from the FIFO. */
export type FifoRequest =
  | { readonly kind: "emit"; readonly name: string; readonly env: readonly string[] }
  | {
    readonly kind: "telinit";
    readonly args: readonly string[];
    /** The writer's `$RUNLEVEL`, when it had one. */
    readonly runlevel?: string;
  };

/** Why a line was dropped. */
export type FifoRejectReason =
  | "too-long"
  | "not-utf8"
  | "control-character"
  | "unknown-command"
  | "missing-argument";

/** A line that was dropped, and why (logged by the daemon). */
export interface FifoRejection {
  readonly kind: "rejected";
  readonly reason: FifoRejectReason;
  readonly detail: string;
}

/** One line's outcome. */
export type FifoItem = FifoRequest | FifoRejection;

const reject = (reason: FifoRejectReason, detail: string): FifoRejection => ({
  kind: "rejected",
  reason,
  detail,
});

/** The first 60 characters of a line, control characters escaped, for a log message. */
export function preview(text: string): string {
  const cut = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  // deno-lint-ignore no-control-regex
  return JSON.stringify(cut).slice(1, -1).replace(/[\u0000-\u001f\u007f]/g, "?");
}

/**
 * Parses one line (without its newline).
 *
 * @param line the line's text
 * @returns the request, or why it was rejected
 */
export function parseFifoLine(line: string): FifoItem {
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(line)) {
    return reject("control-character", `control character in "${preview(line)}"`);
  }
  const words = line.split(" ").filter((w) => w !== "");
  const [command, ...rest] = words;
  switch (command) {
    case "emit": {
      const [name, ...env] = rest;
      if (name === undefined) return reject("missing-argument", "emit: missing event name");
      return { kind: "emit", name, env };
    }
    case "telinit": {
      const first = rest[0];
      const runlevel = first?.startsWith("RUNLEVEL=") ? first.slice("RUNLEVEL=".length) : undefined;
      const args = runlevel === undefined ? rest : rest.slice(1);
      if (args.length === 0) return reject("missing-argument", "telinit: missing runlevel");
      return runlevel === undefined
        ? { kind: "telinit", args }
        : { kind: "telinit", args, runlevel };
    }
    default:
      return reject("unknown-command", `unknown command "${preview(command ?? "")}"`);
  }
}

const NEWLINE = 0x0a;

/**
 * Splits the FIFO's byte stream into lines and parses them. A line longer than
 * {@linkcode FIFO_LINE_MAX} is rejected once and skipped up to its newline; blank lines are
 * ignored.
 */
export class FifoLineReader {
  readonly #max: number;
  readonly #decoder = new TextDecoder("utf-8", { fatal: true });
  #held: Uint8Array[] = [];
  #heldBytes = 0;
  /** Inside a line already rejected as too long: skip to its newline. */
  #skipping = false;

  constructor(max = FIFO_LINE_MAX) {
    this.#max = max;
  }

  /** Bytes of an incomplete line held now. */
  get pending(): number {
    return this.#heldBytes;
  }

  /**
   * Takes the next bytes read from the FIFO.
   *
   * @param bytes what one read returned (copied as needed)
   * @returns the outcome of each line completed by them, in order
   */
  push(bytes: Uint8Array): FifoItem[] {
    const out: FifoItem[] = [];
    let start = 0;
    while (start <= bytes.length) {
      const nl = bytes.indexOf(NEWLINE, start);
      const end = nl === -1 ? bytes.length : nl;
      const piece = bytes.subarray(start, end);
      if (!this.#skipping) {
        // The line with its newline must fit in one atomic write.
        if (this.#heldBytes + piece.length + 1 > this.#max) {
          out.push(reject("too-long", `line longer than ${this.#max - 1} bytes`));
          this.#skipping = true;
          this.#drop();
        } else if (piece.length > 0) {
          this.#held.push(piece.slice());
          this.#heldBytes += piece.length;
        }
      }
      if (nl === -1) break;
      if (!this.#skipping) {
        const item = this.#line();
        if (item !== null) out.push(item);
      }
      this.#skipping = false;
      this.#drop();
      start = nl + 1;
    }
    return out;
  }

  #drop(): void {
    this.#held = [];
    this.#heldBytes = 0;
  }

  #line(): FifoItem | null {
    const bytes = new Uint8Array(this.#heldBytes);
    let at = 0;
    for (const part of this.#held) {
      bytes.set(part, at);
      at += part.length;
    }
    let text: string;
    try {
      text = this.#decoder.decode(bytes);
    } catch {
      return reject("not-utf8", "line is not UTF-8");
    }
    if (text.trim() === "") return null;
    return parseFifoLine(text);
  }
}
