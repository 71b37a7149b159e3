/**
 * Newline-delimited framing for the control socket, used by both ends: splits
 * a byte stream into lines, refusing any line longer than a limit (so one
 * client cannot make the daemon buffer without bound). Dependency-free: the
 * client loads it on every run.
 *
 * @module
 */

/** Largest request line the server accepts, in bytes. */
export const MAX_REQUEST_BYTES = 1 << 20;

/** Thrown by {@linkcode LineSplitter.push} when a line exceeds the limit. */
export class LineTooLongError extends RangeError {
  constructor(readonly limit: number) {
    super(`Cannot read request: line exceeds ${limit} bytes`);
    this.name = "LineTooLongError";
  }
}

const NEWLINE = 0x0a;

/** Accumulates chunks and yields complete lines (without the newline). */
export class LineSplitter {
  #chunks: Uint8Array[] = [];
  #pending = 0;
  readonly #limit: number;
  readonly #decoder = new TextDecoder();

  /** @param limit The longest line accepted, in bytes. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Bytes of an incomplete line held now (0 between lines). */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Adds a chunk; returns the lines it completed.
   *
   * @throws {LineTooLongError} When a line grows past the limit.
   */
  push(chunk: Uint8Array): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let i = chunk.indexOf(NEWLINE); i >= 0; i = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, i);
      if (this.#pending + piece.length > this.#limit) throw new LineTooLongError(this.#limit);
      lines.push(this.#take(piece));
      start = i + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.length > 0) {
      if (this.#pending + rest.length > this.#limit) throw new LineTooLongError(this.#limit);
      this.#chunks.push(rest.slice());
      this.#pending += rest.length;
    }
    return lines;
  }

  #take(last: Uint8Array): string {
    if (this.#chunks.length === 0) return this.#decoder.decode(last);
    const all = new Uint8Array(this.#pending + last.length);
    let off = 0;
    for (const c of this.#chunks) {
      all.set(c, off);
      off += c.length;
    }
    all.set(last, off);
    this.#chunks = [];
    this.#pending = 0;
    return this.#decoder.decode(all);
  }
}
