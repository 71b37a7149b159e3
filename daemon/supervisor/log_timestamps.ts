/**
 * `init --log-timestamps`: each line a job writes to its log file starts
 * with the time it was read, as RFC 3339 UTC with milliseconds and a space
 * (`2026-12-03T07:38:46.123Z hello`), which `initctl log --since/--until`
 * filters on. See docs/seeing.md#logs.
 *
 * @module
 */

const NEWLINE = 10;
const encoder = new TextEncoder();

/** Prefixes lines with timestamps, across chunk boundaries. */
export class LineStamper {
  readonly #now: () => number;
  #atLineStart = true;

  /** @param now the wall clock, ms since the epoch */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /**
   * The chunk with a timestamp before every line that starts in it.
   *
   * @param chunk bytes as read from the job
   * @returns the stamped bytes (a new array when anything was added)
   */
  readonly stamp = (chunk: Uint8Array): Uint8Array => {
    if (chunk.length === 0) return chunk;
    const prefix = encoder.encode(`${new Date(this.#now()).toISOString()} `);
    const starts: number[] = [];
    if (this.#atLineStart) starts.push(0);
    for (let i = 0; i < chunk.length - 1; i++) if (chunk[i] === NEWLINE) starts.push(i + 1);
    this.#atLineStart = chunk[chunk.length - 1] === NEWLINE;
    if (starts.length === 0) return chunk;
    const out = new Uint8Array(chunk.length + starts.length * prefix.length);
    let from = 0;
    let at = 0;
    for (const s of starts) {
      out.set(chunk.subarray(from, s), at);
      at += s - from;
      out.set(prefix, at);
      at += prefix.length;
      from = s;
    }
    out.set(chunk.subarray(from), at);
    return out;
  };
}

/** A leading timestamp as `LineStamper` writes it. */
export const STAMP_PATTERN: RegExp = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) /;
