/**
 * `console log` files (spec §9.1): naming, lazy creation with mode 0640, append-only without
 * following symlinks, re-creation after deletion, buffering while the directory is not writable,
 * and discarding after ENOSPC. Writes are synchronous (as Upstart's were) and never throw.
 *
 * The file is handled through libc rather than `node:fs`: under granular permissions Deno's
 * `node:fs` resolves symlinks before opening, so `O_NOFOLLOW` would be lost.
 *
 * @module
 */

import { posix } from "node:path";
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
} from "./libc.ts";

/** `JOB.log` or `JOB-INSTANCE.log`, with every `/` turned into `_` (spec §9.1). */
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

/** Options of {@linkcode LogFile}. */
export interface LogFileOptions {
  /** Bytes kept in memory while the file cannot be opened; output beyond it is dropped. */
  readonly maxBuffer?: number;
  /** Rewrites each chunk before it is kept (`--log-timestamps`, docs/seeing.md#logs). */
  readonly transform?: (chunk: Uint8Array) => Uint8Array;
}

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
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #dropped = 0;
  #discard = false;
  #lastError: string | null = null;
  readonly #maxBuffer: number;
  readonly #transform: ((chunk: Uint8Array) => Uint8Array) | null;

  constructor(path: string, options: LogFileOptions = {}) {
    this.path = path;
    this.#maxBuffer = options.maxBuffer ?? DEFAULT_MAX_BUFFER;
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

  /** Bytes dropped because the memory buffer was full. */
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

  /** Appends `chunk`; buffers it when the file cannot be opened. Never throws. */
  write(chunk: Uint8Array): void {
    if (this.#discard || chunk.length === 0) return;
    this.#buffer(this.#transform === null ? chunk : this.#transform(chunk));
    this.#drain();
  }

  /**
   * Tries to write everything buffered, opening the file if needed (e.g. after
   * `notify-disk-writeable`). Returns true when nothing is left in memory. Never throws.
   */
  flush(): boolean {
    if (!this.#discard) this.#drain();
    return this.#pendingBytes === 0;
  }

  /**
   * Makes a last attempt to write buffered output and closes the file. Returns true when all
   * output reached the file (or was discarded on purpose); on false, {@linkcode keepForLater}
   * says whether to retry with {@linkcode flush} later or drop it. Never throws.
   */
  close(): boolean {
    const done = this.flush();
    this.#closeFd();
    return done;
  }

  #buffer(chunk: Uint8Array): void {
    const room = this.#maxBuffer - this.#pendingBytes;
    if (room <= 0) {
      this.#dropped += chunk.length;
      return;
    }
    // Copy: the caller's buffer (a stream chunk) may be reused.
    const kept = chunk.slice(0, room);
    this.#dropped += chunk.length - kept.length;
    this.#pending.push(kept);
    this.#pendingBytes += kept.length;
  }

  #drain(): void {
    while (this.#pending.length > 0) {
      const fd = this.#ensureOpen();
      if (fd === null) return;
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
      } catch (e) {
        this.#lastError = errCode(e);
        this.#closeFd();
        if (this.#lastError === "ENOSPC") {
          this.#discard = true;
          this.#pending = [];
          this.#pendingBytes = 0;
        }
        return;
      }
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
