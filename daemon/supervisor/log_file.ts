/**
 * `console log` files (see docs/behaviour.md#job-logs): naming, lazy creation with mode 0640,
 * append-only without following symlinks, re-creation after deletion, buffering while the file
 * cannot be opened, and retrying after ENOSPC. Writes are synchronous (as Upstart's were) and never
 * throw.
 *
 * Nothing is lost silently (see docs/job-files.md#console-log-when-the-disk-fails): output that
 * cannot be kept is counted and handed to the `onLoss` hook, which the daemon writes to its own
 * log with the job's name and the number of bytes.
 * - While the file cannot be opened (read-only or missing directory, EACCES, …) output is kept
 *   in memory, at most `maxBuffer` bytes (1 MiB by default); beyond that it is dropped.
 * - After a write fails with ENOSPC, output is not kept (the disk is full): every later write is
 *   tried again, dropped if it fails, and capture resumes as soon as one succeeds.
 * - {@linkcode LogFile.abandon} drops what is still kept, reporting it.
 *
 * The file is handled through libc rather than `node:fs`: under granular permissions Deno's
 * `node:fs` resolves symlinks before opening, so `O_NOFOLLOW` would be lost.
 *
 * @module
 */

import { posix } from "../../sys/path.ts";
import {
  closeFd,
  fchmod,
  LibcError,
  O_APPEND,
  O_CREAT,
  O_EXCL,
  O_NOFOLLOW,
  O_WRONLY,
  openFd,
  readLink,
  writeFd,
} from "../../sys/libc.ts";

/**
 * `JOB.log` or `JOB-INSTANCE.log`, with every `/` turned into `_` (see docs/behaviour.md#job-logs).
 */
export function logFileName(job: string, instance: string): string {
  const base = instance === "" ? job : `${job}-${instance}`;
  return `${base.replaceAll("/", "_")}.log`;
}

/** The log path of one job instance inside `logDir`. */
export function logFilePath(logDir: string, job: string, instance: string): string {
  return posix.join(logDir, logFileName(job, instance));
}

/** Mode of a new log file, applied with fchmod so the daemon's umask does not matter. */
export const LOG_FILE_MODE = 0o640;

/** Default cap on output kept in memory while the file cannot be opened. */
export const DEFAULT_MAX_BUFFER = 1024 * 1024;

const OPEN_FLAGS = O_WRONLY | O_APPEND | O_NOFOLLOW;

/** Errors after which Upstart keeps output for a later `notify-disk-writeable`. */
const KEEP_FOR_LATER = new Set(["EROFS", "EPERM", "EACCES"]);

/** Why output is not reaching the file right now. */
export type LogFileState = "closed" | "open" | "buffering" | "discarding";

/** A report of output that did not reach the file, or of output reaching it again. */
export interface LogLoss {
  readonly path: string;
  /** Bytes dropped since the previous report; 0 in a report with `resumed`. */
  readonly bytes: number;
  /** The errno code that kept output from the file (`"ENOSPC"`, `"EROFS"`, …). */
  readonly reason: string;
  /** true when output reaches the file again after a loss was reported. */
  readonly resumed: boolean;
}

/** Options of {@linkcode LogFile}. */
export interface LogFileOptions {
  /** Bytes kept in memory while the file cannot be opened; output beyond it is dropped. */
  readonly maxBuffer?: number;
  /** Told of every loss: at once when one starts, then at most every `reportMs`, and at its end. */
  readonly onLoss?: (loss: LogLoss) => void;
  /** Least time between two reports of one continuing loss. Default 10 s. */
  readonly reportMs?: number;
  /** The clock for `reportMs` (tests). Default `performance.now`. */
  readonly now?: () => number;
  /** Rewrites each chunk before it is kept (`--log-timestamps`, docs/seeing.md#logs). */
  readonly transform?: (chunk: Uint8Array) => Uint8Array;
}

/** Default least time between two reports of one continuing loss. */
export const DEFAULT_REPORT_MS = 10_000;

/**
 * No chunk waiting: one frozen list for every log (a list of its own is made when output has to
 * wait, and dropped again once it is written).
 */
const NO_CHUNKS = Object.freeze([]) as unknown as Uint8Array[];

/** The default clock: one function for every log rather than a closure each. */
const monotonic = (): number => performance.now();

function errCode(e: unknown): string {
  return e instanceof LibcError ? e.code : "EIO";
}

/**
 * The log of one process. Several may write the same path (all processes of a job instance);
 * `O_APPEND` keeps their writes whole.
 */
export class LogFile {
  readonly path: string;
  #fd: number | null = null;
  /** Chunks waiting for the file; the shared empty list until one has to wait. */
  #pending: Uint8Array[] = NO_CHUNKS;
  #pendingBytes = 0;
  #dropped = 0;
  /** The last write failed with ENOSPC: keep nothing, try every write again. */
  #discard = false;
  #lastError: string | null = null;
  /** Dropped bytes not reported yet, and whether a loss is going on (reported, not resumed). */
  #unreported = 0;
  #losing = false;
  #lastReport = -Infinity;
  readonly #maxBuffer: number;
  readonly #onLoss: ((loss: LogLoss) => void) | null;
  readonly #reportMs: number;
  readonly #now: () => number;

  readonly #transform: ((chunk: Uint8Array) => Uint8Array) | null;

  constructor(path: string, options: LogFileOptions = {}) {
    this.path = path;
    this.#maxBuffer = options.maxBuffer ?? DEFAULT_MAX_BUFFER;
    this.#onLoss = options.onLoss ?? null;
    this.#reportMs = options.reportMs ?? DEFAULT_REPORT_MS;
    this.#now = options.now ?? monotonic;
    this.#transform = options.transform ?? null;
  }

  /** Where output currently goes. */
  get state(): LogFileState {
    if (this.#discard) return "discarding";
    if (this.#fd !== null) return "open";
    return this.#pendingBytes > 0 ? "buffering" : "closed";
  }

  /** Bytes waiting in memory. */
  get buffered(): number {
    return this.#pendingBytes;
  }

  /** Bytes dropped in all: memory buffer full, ENOSPC, or abandoned. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The errno code of the last failed open or write (`"ENOSPC"`, `"EACCES"`, …), or null. */
  get lastError(): string | null {
    return this.#lastError;
  }

  /**
   * true when the output still buffered should be kept for a later {@linkcode flush} (Upstart's
   * "unflushed" list: the last failure was EROFS, EPERM or EACCES).
   */
  get keepForLater(): boolean {
    return this.#pendingBytes > 0 && this.#lastError !== null &&
      KEEP_FOR_LATER.has(this.#lastError);
  }

  /**
   * Appends `chunk`; buffers it when the file cannot be opened; after ENOSPC tries it and drops
   * it if the disk is still full. Never throws.
   */
  write(raw: Uint8Array): void {
    if (raw.length === 0) return;
    const chunk = this.#transform === null ? raw : this.#transform(raw);
    // What waits goes first, and makes room for this chunk if the file can take it now.
    if (this.#pendingBytes > 0) this.#drain();
    const blocked = this.#pendingBytes > 0; // the file just refused: do not ask it again
    this.#buffer(chunk);
    if (blocked) this.#report(false);
    else this.#drain();
  }

  /**
   * Tries to write everything buffered, opening the file if needed (e.g. after
   * `notify-disk-writeable`). Returns true when nothing is left in memory. Never throws.
   */
  flush(): boolean {
    this.#drain();
    this.#report(true);
    return this.#pendingBytes === 0;
  }

  /**
   * Closes the file, so the next write opens the path afresh (a directory remounted
   * read-write, a file system mounted over the old one), and writes what is buffered.
   * Returns true when nothing is left in memory. Never throws.
   */
  reopen(): boolean {
    this.#closeFd();
    return this.flush();
  }

  /**
   * Makes a last attempt to write buffered output and closes the file. Returns true when all
   * output reached the file (or was dropped and reported); on false, {@linkcode keepForLater}
   * says whether to retry with {@linkcode flush} later or {@linkcode abandon} it. Never throws.
   */
  close(): boolean {
    const done = this.flush();
    this.#closeFd();
    return done;
  }

  /** Drops what is still buffered, reporting it, and closes the file. Returns the bytes dropped. */
  abandon(): number {
    const bytes = this.#pendingBytes;
    this.#pending = NO_CHUNKS;
    this.#pendingBytes = 0;
    this.#lose(bytes);
    this.#report(true);
    this.#closeFd();
    return bytes;
  }

  #buffer(chunk: Uint8Array): void {
    const room = this.#maxBuffer - this.#pendingBytes;
    if (room <= 0) {
      this.#lose(chunk.length);
      return;
    }
    // Copy: the caller's buffer (a stream chunk) may be reused.
    const kept = chunk.slice(0, room);
    this.#lose(chunk.length - kept.length);
    if (this.#pending === NO_CHUNKS) this.#pending = [];
    this.#pending.push(kept);
    this.#pendingBytes += kept.length;
  }

  #drain(): void {
    while (this.#pending.length > 0) {
      const fd = this.#ensureOpen();
      if (fd === null) {
        if (this.#lastError === "ENOSPC") this.#diskFull();
        this.#report(false);
        return;
      }
      const chunk = this.#pending[0]!;
      try {
        const n = writeFd(fd, chunk);
        this.#lastError = null;
        if (n < chunk.length) {
          this.#pending[0] = chunk.subarray(n);
        } else {
          this.#pending.shift();
        }
        this.#pendingBytes -= n;
        if (this.#discard) {
          this.#discard = false;
          this.#report(true);
          this.#resumed();
        }
      } catch (e) {
        this.#lastError = errCode(e);
        this.#closeFd();
        if (this.#lastError === "ENOSPC") this.#diskFull();
        this.#report(false);
        return;
      }
    }
    this.#pending = NO_CHUNKS;
    this.#resumed();
  }

  /** ENOSPC: nothing is kept; every later write is tried again. */
  #diskFull(): void {
    this.#discard = true;
    this.#lose(this.#pendingBytes);
    this.#pending = NO_CHUNKS;
    this.#pendingBytes = 0;
  }

  #lose(bytes: number): void {
    if (bytes <= 0) return;
    this.#dropped += bytes;
    this.#unreported += bytes;
  }

  /** Reports unreported drops: at once for a new loss, else when `reportMs` passed or `now`. */
  #report(now: boolean): void {
    if (this.#unreported === 0) return;
    const t = this.#now();
    if (this.#losing && !now && t - this.#lastReport < this.#reportMs) return;
    const bytes = this.#unreported;
    this.#unreported = 0;
    this.#losing = true;
    this.#lastReport = t;
    this.#emit({ path: this.path, bytes, reason: this.#lastError ?? "EIO", resumed: false });
  }

  /** Output reaches the file again: ends a reported loss. */
  #resumed(): void {
    if (!this.#losing || this.#pendingBytes > 0 || this.#discard) return;
    this.#report(true);
    this.#losing = false;
    this.#emit({ path: this.path, bytes: 0, reason: "", resumed: true });
  }

  #emit(loss: LogLoss): void {
    try {
      this.#onLoss?.(loss);
    } catch {
      // a failing reporter must not stop the output
    }
  }

  /** The open fd, re-created when the file was deleted under us; null when it cannot be opened. */
  #ensureOpen(): number | null {
    if (this.#fd !== null) {
      if (!this.#deleted(this.#fd)) return this.#fd;
      this.#closeFd();
    }
    try {
      this.#fd = this.#open();
      return this.#fd;
    } catch (e) {
      this.#lastError = errCode(e);
      return null;
    }
  }

  /** An unlinked file shows as `PATH (deleted)` behind its fd. */
  #deleted(fd: number): boolean {
    try {
      return readLink(`/proc/self/fd/${fd}`).endsWith(" (deleted)");
    } catch {
      return false; // no /proc: keep writing to what we have
    }
  }

  #open(): number {
    try {
      const fd = openFd(this.path, OPEN_FLAGS | O_CREAT | O_EXCL, LOG_FILE_MODE);
      try {
        fchmod(fd, LOG_FILE_MODE);
      } catch {
        // The file exists and is ours; a mode we could not fix is not worth losing output for.
      }
      return fd;
    } catch (e) {
      if (errCode(e) !== "EEXIST") throw e;
    }
    return openFd(this.path, OPEN_FLAGS);
  }

  #closeFd(): void {
    if (this.#fd === null) return;
    try {
      closeFd(this.#fd);
    } catch {
      // already closed: nothing to do
    }
    this.#fd = null;
  }
}
