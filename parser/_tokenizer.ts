/**
 * The libnih configuration lexer (`nih/config.c`) that Upstart job files are read with
 * (see docs/job-files.md#syntax). Positions follow libnih: `line` counts every newline the lexer
 * has stepped over, so an error's line is where the lexer stood when it gave up (see
 * docs/job-files.md#error-lines).
 *
 * @module
 */

import { JobSyntaxError, type JobSyntaxErrorKind } from "./errors.ts";

const TAB = 9;
const LF = 10;
const CR = 13;
const SP = 32;
const DQ = 34;
const HASH = 35;
const SQ = 39;
const LP = 40;
const RP = 41;
const BSL = 92;

/** A lexer position: offset into the text and the line counter at that point. */
export interface Mark {
  readonly pos: number;
  readonly line: number;
}

/** libnih's whitespace class: space, TAB and CR (see docs/job-files.md#characters). */
export function isSpace(c: number): boolean {
  return c === SP || c === TAB || c === CR;
}

/**
 * A cursor over one job file. Each method mirrors one libnih function; callers drive it the
 * way Upstart's stanza handlers drive libnih.
 */
export class Lexer {
  /** The whole text being parsed. */
  readonly src: string;
  /** `src.length`. */
  readonly len: number;
  /** Path reported in errors. */
  readonly file: string | null;
  /** Current offset. */
  pos = 0;
  /** Current 1-based line (libnih's `lineno`). */
  line = 1;

  /**
   * @param src The job file text.
   * @param file Path reported in errors, if any.
   */
  constructor(src: string, file: string | null = null) {
    this.src = src;
    this.len = src.length;
    this.file = file;
  }

  /** @returns The current position, to report errors at later. */
  mark(): Mark {
    return { pos: this.pos, line: this.line };
  }

  /** @returns The character code at the cursor, or -1 at the end. */
  peek(): number {
    return this.pos < this.len ? this.src.charCodeAt(this.pos) : -1;
  }

  /** Skips spaces, TABs and CRs, but not escaped newlines (start of a stanza line). */
  skipSpaces(): void {
    while (this.pos < this.len && isSpace(this.src.charCodeAt(this.pos))) this.pos++;
  }

  /** `nih_config_has_token`: true unless at the end, a `#` or a newline. */
  hasToken(): boolean {
    if (this.pos >= this.len) return false;
    const c = this.src.charCodeAt(this.pos);
    return c !== HASH && c !== LF;
  }

  /** `nih_config_skip_whitespace`: skips whitespace and backslash-newline pairs. */
  skipWhitespace(): void {
    const src = this.src;
    while (this.pos < this.len) {
      const c = src.charCodeAt(this.pos);
      if (c === BSL) {
        if (this.pos + 1 >= this.len || src.charCodeAt(this.pos + 1) !== LF) return;
        this.pos += 2;
        this.line++;
      } else if (isSpace(c)) {
        this.pos++;
      } else {
        return;
      }
    }
  }

  /** `nih_config_next_line`: moves past the next newline (or to the end). */
  nextLine(): void {
    const nl = this.src.indexOf("\n", this.pos);
    if (nl < 0) {
      this.pos = this.len;
    } else {
      this.pos = nl + 1;
      this.line++;
    }
  }

  /** `nih_config_skip_comment`: the rest of the line must be empty or a comment. */
  skipComment(): void {
    if (this.hasToken()) this.fail("UNEXPECTED_TOKEN", this.line, this.pos);
    this.nextLine();
  }

  /**
   * `nih_config_next_token`: one token ended by unquoted, unescaped whitespace, `#` or newline
   * (and `(`/`)` when `parens`), then the whitespace after it (see docs/job-files.md#arguments).
   *
   * @param dequote Remove quotes and `\\`/`\␣` escapes (an "argument"); false keeps it raw.
   * @param parens Also stop at `(` and `)` (event expressions).
   * @returns The token.
   * @throws {JobSyntaxError} `EXPECTED_TOKEN`, `TRAILING_SLASH` or `UNTERMINATED_QUOTE`.
   */
  token(dequote: boolean, parens = false): string {
    const src = this.src;
    const start = this.pos;
    let p = start;
    let plain = true;
    for (; p < this.len; p++) {
      const c = src.charCodeAt(p);
      if (c === SP || c === TAB || c === CR || c === LF || c === HASH) break;
      if (c === DQ || c === SQ || c === BSL) {
        plain = false;
        break;
      }
      if (parens && (c === LP || c === RP)) break;
    }
    let text: string;
    if (plain) {
      if (p === start) this.fail("EXPECTED_TOKEN", this.line, start);
      text = src.slice(start, p);
      this.pos = p;
    } else {
      text = this.#scan(true, parens, dequote, true);
    }
    this.skipWhitespace();
    return text;
  }

  /** @returns The next dequoted argument (`nih_config_next_arg`). */
  arg(): string {
    return this.token(true);
  }

  /** @returns The next raw word: quotes and escapes kept (stanza keywords, second words). */
  word(): string {
    return this.token(false);
  }

  /**
   * `nih_config_parse_command`: the raw rest of the line (see docs/job-files.md#command-lines),
   * then the comment and newline after it. The caller has checked {@linkcode Lexer.hasToken}.
   *
   * @returns The command line with quotes and escapes kept, continuations folded.
   */
  command(): string {
    const src = this.src;
    const start = this.pos;
    let p = start;
    let plain = true;
    for (; p < this.len; p++) {
      const c = src.charCodeAt(p);
      if (c === LF || c === HASH) break;
      if (c === DQ || c === SQ || c === BSL) {
        plain = false;
        break;
      }
    }
    let text: string;
    if (plain) {
      let end = p;
      while (end > start && isSpace(src.charCodeAt(end - 1))) end--;
      text = src.slice(start, end);
      this.pos = p;
    } else {
      text = this.#scan(false, false, false, false);
    }
    this.skipComment();
    return text;
  }

  /**
   * `nih_config_parse_block`: the lines up to `end TYPE` (see docs/job-files.md#script-blocks),
   * with the common leading whitespace removed; the cursor ends past the terminator line.
   *
   * @param type The block word, `script`.
   * @returns The block text, every line ending in `\n`.
   * @throws {JobSyntaxError} `UNTERMINATED_BLOCK` when the file ends first.
   */
  block(type: string): string {
    const src = this.src;
    const len = this.len;
    const blockStart = this.pos;
    let p = blockStart;
    let lines = 0;
    let ws = 0;
    let blockEnd: number;
    for (;;) {
      const after = this.#blockEnd(p, type);
      if (after >= 0) {
        blockEnd = p;
        if (src.charCodeAt(after - 1) === LF) this.line++;
        p = after;
        break;
      }
      lines++;
      const lineStart = p;
      if (lines === 1) {
        while (p < len && isSpace(src.charCodeAt(p))) p++;
        ws = p - lineStart;
      } else {
        while (
          p < len && p - lineStart < ws &&
          src.charCodeAt(blockStart + p - lineStart) === src.charCodeAt(p)
        ) p++;
        if (p - lineStart < ws) ws = p - lineStart;
      }
      const nl = src.indexOf("\n", p);
      if (nl < 0) {
        p = len;
      } else {
        p = nl + 1;
        this.line++;
      }
      if (p >= len) {
        this.pos = p;
        this.fail("UNTERMINATED_BLOCK", this.line, p);
      }
    }
    let text = "";
    for (let q = blockStart; q < blockEnd;) {
      q += ws;
      const nl = src.indexOf("\n", q);
      text += src.slice(q, nl + 1);
      q = nl + 1;
    }
    this.pos = p;
    return text;
  }

  /**
   * Throws a {@linkcode JobSyntaxError}. The column is that of `offset` when it lies on
   * `line`, else that of the cursor (the token began on an earlier line).
   *
   * @param kind Which error.
   * @param line The line Upstart reports.
   * @param offset Start of the offending token.
   * @param oomScore Use the `oom score` message variant.
   */
  fail(kind: JobSyntaxErrorKind, line: number, offset: number, oomScore = false): never {
    throw this.error(kind, line, offset, oomScore);
  }

  /**
   * Builds the error {@linkcode Lexer.fail} throws, for `throw lex.error(…)` where the
   * compiler must see the throw.
   *
   * @param kind Which error.
   * @param line The line Upstart reports.
   * @param offset Start of the offending token.
   * @param oomScore Use the `oom score` message variant.
   * @returns The error, positioned.
   */
  error(kind: JobSyntaxErrorKind, line: number, offset: number, oomScore = false): JobSyntaxError {
    const at = this.#lineOf(offset) === line ? offset : this.pos;
    const column = at === 0 ? 1 : at - (this.src.lastIndexOf("\n", at - 1) + 1) + 1;
    return new JobSyntaxError(kind, { line, column, file: this.file, oomScore });
  }

  #lineOf(offset: number): number {
    let line = 1;
    for (let i = this.src.indexOf("\n"); i >= 0 && i < offset; i = this.src.indexOf("\n", i + 1)) {
      line++;
    }
    return line;
  }

  /**
   * `nih_config_token` with a destination buffer, for tokens holding quotes or backslashes.
   * Whitespace is kept (command) or ends the token (arguments); a newline inside quotes or
   * after a backslash, with the whitespace around it, becomes one space.
   */
  #scan(wsEnds: boolean, parens: boolean, dequote: boolean, required: boolean): string {
    const src = this.src;
    const len = this.len;
    const start = this.pos;
    let out = "";
    let ws = "";
    let nl = false;
    let slash = false;
    let quote = 0;
    let p = start;
    for (; p < len; p++) {
      const c = src.charCodeAt(p);
      let keep = true;
      let escape = "";
      if (slash) {
        slash = false;
        if (c === LF) {
          nl = true;
          this.line++;
          continue;
        }
        // `\\` and `\␣` lose the backslash when dequoting; any other pair is kept whole.
        if (!dequote || (c !== BSL && !isSpace(c))) escape = "\\";
      } else if (c === BSL) {
        slash = true;
        continue;
      } else if (quote !== 0) {
        if (c === quote) {
          quote = 0;
          keep = !dequote;
        } else if (c === LF) {
          nl = true;
          this.line++;
          continue;
        } else if (isSpace(c)) {
          ws += src[p];
          continue;
        }
      } else if (c === DQ || c === SQ) {
        quote = c;
        keep = !dequote;
      } else if (c === LF || c === HASH || (parens && (c === LP || c === RP))) {
        break;
      } else if (isSpace(c)) {
        if (wsEnds) break;
        ws += src[p];
        continue;
      }
      if (nl) out += " ";
      else if (ws !== "") out += ws;
      out += escape;
      if (keep) out += src[p];
      ws = "";
      nl = false;
    }
    this.pos = p;
    if (slash) this.fail("TRAILING_SLASH", this.line, start);
    if (quote !== 0) this.fail("UNTERMINATED_QUOTE", this.line, start);
    // libnih counts a dangling backslash-newline as one character, so that is not "empty".
    if (required && out === "" && !nl) this.fail("EXPECTED_TOKEN", this.line, start);
    return out;
  }

  /** `nih_config_block_end`: the offset past a terminator line at `start`, or -1. */
  #blockEnd(start: number, type: string): number {
    const src = this.src;
    const len = this.len;
    let p = start;
    while (p < len && isSpace(src.charCodeAt(p))) p++;
    if (len - p < 4 || !src.startsWith("end", p)) return -1;
    const sep = src.charCodeAt(p + 3);
    if (sep !== 0 && !isSpace(sep)) return -1;
    p += 3;
    while (p < len && isSpace(src.charCodeAt(p))) p++;
    if (len - p < type.length || !src.startsWith(type, p)) return -1;
    p += type.length;
    while (p < len && isSpace(src.charCodeAt(p))) p++;
    if (p < len && src.charCodeAt(p) === HASH) {
      const nl = src.indexOf("\n", p);
      p = nl < 0 ? len : nl;
    }
    if (p < len && src.charCodeAt(p) !== LF) return -1;
    return p < len ? p + 1 : p;
  }
}
