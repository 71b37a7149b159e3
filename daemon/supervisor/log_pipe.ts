/**
 * A `console log` pipe drained by the {@linkcode PollLoop} (see docs/behaviour.md#job-logs): the
 * read end of the one pipe a job's stdout and stderr share, read into one small buffer shared by
 * every job and written to the job's {@linkcode LogFile}. One descriptor per job, no stream
 * objects. Writing both outputs into one pipe keeps them in the order the program wrote them.
 *
 * @module
 */

import { closeFd, LibcError, readFd, setNonBlocking } from "../../sys/libc.ts";
import { EPOLLIN } from "../../sys/epoll.ts";
import type { LogFile } from "./log_file.ts";
import type { PollLoop } from "./poll_loop.ts";

/** The buffer every log pipe is read into (the log file copies what it keeps). */
const SHARED = new Uint8Array(16 * 1024);
/** Reads per readiness before the other descriptors get their turn. */
const READS_PER_TURN = 16;

/** A registered log pipe. */
export interface LogPipe {
  readonly fd: number;
  /** Resolves at end of file (every writer closed), after the last write to the log. */
  readonly ended: Promise<void>;
  /** Bytes written to the log so far. */
  readonly bytes: () => number;
  /**
   * Reads what is in the pipe now, without waiting for the poll loop: once the writer has
   * exited, all it wrote is there, whatever the load. Returns true when the pipe has ended.
   */
  drainNow(): boolean;
  /** Stops reading now and closes the read end (output still unread is lost). */
  close(): void;
}

/**
 * Registers `fd` (the read end, made non-blocking here; owned from now on) with `loop`.
 * @throws {LibcError} when it cannot be added
 */
export function drainLogPipe(loop: PollLoop, fd: number, log: LogFile): LogPipe {
  setNonBlocking(fd);
  const pipe = new LogPipeReader(loop, fd, log);
  loop.add(fd, EPOLLIN, pipe.onReady);
  return pipe;
}

/**
 * One pipe's reader. A class, its methods shared by every pipe: one object and one handler per
 * job rather than a closure per method (docs/behaviour.md#memory).
 */
class LogPipeReader implements LogPipe {
  readonly fd: number;
  readonly ended: Promise<void>;
  readonly #loop: PollLoop;
  readonly #log: LogFile;
  #total = 0;
  #open = true;
  #resolveEnded!: () => void;

  constructor(loop: PollLoop, fd: number, log: LogFile) {
    this.fd = fd;
    this.#loop = loop;
    this.#log = log;
    this.ended = new Promise<void>((r) => this.#resolveEnded = r);
  }

  /** The poll loop's handler: reads until the pipe is empty, at most a few times a turn. */
  readonly onReady = (): void => {
    for (let i = 0; i < READS_PER_TURN && this.#open; i++) {
      // A short read empties a pipe: wait for more.
      if (this.#readOnce() < SHARED.length) return;
    }
  };

  bytes(): number {
    return this.#total;
  }

  drainNow(): boolean {
    while (this.#open && this.#readOnce() !== -1) { /* read on until empty or ended */ }
    return !this.#open;
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#loop.remove(this.fd);
    try {
      closeFd(this.fd);
    } catch { /* already closed */ }
    this.#resolveEnded();
  }

  /** One read into the log: how many bytes, 0 once ended, -1 when the pipe is empty now. */
  #readOnce(): number {
    for (;;) {
      try {
        const n = readFd(this.fd, SHARED);
        if (n === 0) this.close();
        else {
          this.#total += n;
          this.#log.write(SHARED.subarray(0, n));
        }
        return n;
      } catch (e) {
        if (e instanceof LibcError && e.code === "EINTR") continue;
        if (e instanceof LibcError && e.code === "EAGAIN") return -1;
        this.close(); // EIO and the like: the output has ended
        return 0;
      }
    }
  }
}
