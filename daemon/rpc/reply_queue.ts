/**
 * The replies waiting to go out on one connection (docs/rpc.md#limits):
 * bounded in bytes, written in order by one pump, and failed (the client
 * dropped) when the bound is passed or when the client reads nothing for a
 * while. Readers of the connection wait on {@linkcode ReplyQueue.below}
 * before taking more requests, so a client that does not read stops being
 * read (back-pressure) instead of growing the daemon's memory.
 *
 * @module
 */

/** Limits of one {@linkcode ReplyQueue}. */
export interface ReplyQueueLimits {
  /** Bytes queued at most; a push past it fails the queue (one reply alone always fits). */
  readonly maxBytes: number;
  /** No write progress for this long while bytes wait: the queue fails. */
  readonly stallTimeoutMs: number;
}

/** What the queue writes to: `Deno.Conn`'s `write`, or a raw connection's. */
export interface Writable {
  write(data: Uint8Array): Promise<number>;
}

/** Writes chunks in order to a connection, with a byte bound and a stall timeout. */
export class ReplyQueue {
  readonly #conn: Writable;
  readonly #limits: ReplyQueueLimits;
  readonly #onFail: (why: string) => void;
  /** Chunks to write; `#head` indexes the next one (no O(n) shift per chunk). */
  #chunks: Uint8Array[] = [];
  #head = 0;
  #bytes = 0;
  #pumping = false;
  #failed: string | null = null;
  #stall: ReturnType<typeof setTimeout> | undefined;
  /** Waiters for the queue to shrink, each with its threshold. */
  #waiters: Waiter[] = [];

  constructor(conn: Writable, limits: ReplyQueueLimits, onFail: (why: string) => void) {
    this.#conn = conn;
    this.#limits = limits;
    this.#onFail = onFail;
  }

  /** Bytes waiting to be written. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Why the queue failed (the client is being dropped), or `null`. */
  get failed(): string | null {
    return this.#failed;
  }

  /** Queues bytes; returns false (and fails the queue) when that passes the bound. */
  push(bytes: Uint8Array): boolean {
    if (this.#failed !== null) return false;
    if (bytes.length === 0) return true;
    if (this.#bytes > 0 && this.#bytes + bytes.length > this.#limits.maxBytes) {
      this.fail(`reply queue over ${this.#limits.maxBytes} bytes: the client does not read`);
      return false;
    }
    this.#chunks.push(bytes);
    this.#bytes += bytes.length;
    if (!this.#pumping) void this.#pump();
    return true;
  }

  /** Resolves once at most `bytes` are queued (or the queue failed). */
  below(bytes: number): Promise<void> {
    if (this.#bytes <= bytes || this.#failed !== null) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ bytes, resolve }));
  }

  /** Drops every queued reply and wakes every waiter; later pushes are refused. */
  fail(why: string): void {
    if (this.#failed !== null) return;
    this.#failed = why;
    clearTimeout(this.#stall);
    this.#chunks = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#wake();
    this.#onFail(why);
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#failed === null && this.#head < this.#chunks.length) {
        const chunk = this.#chunks[this.#head]!;
        this.#armStall();
        let n: number;
        try {
          n = await this.#conn.write(chunk);
        } catch (e) {
          this.fail(`write failed: ${e instanceof Error ? e.name : String(e)}`);
          return;
        }
        if (this.#failed !== null) return;
        this.#bytes -= n;
        if (n < chunk.length) {
          this.#chunks[this.#head] = chunk.subarray(n);
        } else {
          this.#chunks[this.#head++] = EMPTY;
          if (this.#head > 1024 && this.#head * 2 > this.#chunks.length) {
            this.#chunks = this.#chunks.slice(this.#head);
            this.#head = 0;
          }
        }
        this.#wake();
      }
      if (this.#failed === null) {
        this.#chunks = [];
        this.#head = 0;
      }
    } finally {
      clearTimeout(this.#stall);
      this.#pumping = false;
    }
  }

  #armStall(): void {
    clearTimeout(this.#stall);
    this.#stall = setTimeout(
      () => this.fail(`no reply read for ${this.#limits.stallTimeoutMs} ms`),
      this.#limits.stallTimeoutMs,
    );
  }

  #wake(): void {
    if (this.#waiters.length === 0) return;
    const keep: Waiter[] = [];
    for (const w of this.#waiters) {
      if (this.#failed !== null || this.#bytes <= w.bytes) w.resolve();
      else keep.push(w);
    }
    this.#waiters = keep;
  }
}

const EMPTY = new Uint8Array(0);

interface Waiter {
  readonly bytes: number;
  readonly resolve: () => void;
}
