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
  let total = 0;
  let open = true;
  let resolveEnded!: () => void;
  const ended = new Promise<void>((r) => resolveEnded = r);
  const finish = () => {
    if (!open) return;
    open = false;
    loop.remove(fd);
    try {
      closeFd(fd);
    } catch { /* already closed */ }
    resolveEnded();
  };
  /** One read into the log: how many bytes, 0 once ended, -1 when the pipe is empty now. */
  const readOnce = (): number => {
    for (;;) {
      try {
        const n = readFd(fd, SHARED);
        if (n === 0) finish();
        else {
          total += n;
          log.write(SHARED.subarray(0, n));
        }
        return n;
      } catch (e) {
        if (e instanceof LibcError && e.code === "EINTR") continue;
        if (e instanceof LibcError && e.code === "EAGAIN") return -1;
        finish(); // EIO and the like: the output has ended
        return 0;
      }
    }
  };
  loop.add(fd, EPOLLIN, () => {
    for (let i = 0; i < READS_PER_TURN && open; i++) {
      // A short read empties a pipe: wait for more.
      if (readOnce() < SHARED.length) return;
    }
  });
  const drainNow = (): boolean => {
    while (open && readOnce() !== -1) { /* read on until empty or ended */ }
    return !open;
  };
  return { fd, ended, bytes: () => total, drainNow, close: finish };
}
