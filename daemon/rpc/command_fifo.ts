/**
 * The system daemon's command FIFO (see docs/pid1.md#the-command-fifo): a named pipe next to the
 * control socket, `/run/daybreak/initctl.fifo`, that root's `initctl emit --no-wait` and
 * `telinit` write one line to instead of starting a Deno process (seconds each at boot under
 * emulation). Only root may open it: the daemon makes it mode 0600, owned by itself (root), in
 * its own directory, and uses a path only when it is its own FIFO (checked on the open fd).
 *
 * The FIFO is opened read-write and non-blocking, and sits in the daemon's one poll loop: writers
 * never wait for a reader, and the daemon never reads end of file. Lines are parsed by
 * `fifo_protocol.ts` and handled one after the other, in the order written; a socket request
 * waits for the lines already written ({@linkcode CommandFifo.caughtUp}), so a tool that writes
 * a line and then calls the socket sees its line handled first. The fd goes across a re-exec
 * (docs/reexec.md), so that no line written meanwhile is lost.
 *
 * @module
 */

import { EPOLLIN } from "../../sys/epoll.ts";
import {
  chmodFd,
  type FileIdentity,
  makeFifo,
  openFifo,
  readAvailable,
  statFd,
  statPath,
  unlinkPath,
} from "../../sys/fifo.ts";
import { closeQuietly, effectiveIds, readText, setCloseOnExec } from "../../sys/libc.ts";
import { fileRunlevelStore } from "../../compat_sysv/utmp_file.ts";
import type { LogPriority } from "../options.ts";
import type { FifoCommandDeps } from "./fifo_commands.ts";
import type { PollLoop } from "../supervisor/poll_loop.ts";
import { FifoLineReader, type FifoRequest } from "./fifo_protocol.ts";

/** The FIFO's file mode: its owner (root) only. */
export const FIFO_MODE = 0o600;
/** The FIFO's name, in the control socket's directory. */
export const FIFO_NAME = "initctl.fifo";
/** Lines queued at most; past it the FIFO is not read until they are handled (back-pressure). */
const MAX_QUEUED = 256;
/** Reads per wake-up (the poll set is level-triggered: the rest is read on the next turn). */
const READS_PER_WAKE = 16;

/** The path is not a FIFO the daemon may use; it is left alone. */
export class FifoRefusedError extends Error {
  constructor(readonly path: string, readonly why: string) {
    super(`Not using ${path}: ${why}`);
    this.name = "FifoRefusedError";
  }
}

/** Options of {@linkcode CommandFifo.open}. */
export interface CommandFifoOptions {
  readonly path: string;
  readonly loop: PollLoop;
  /** The daemon's effective uid: the FIFO and its directory must be owned by it. */
  readonly euid: number;
  /** A FIFO fd kept across a re-exec: taken up when it is still the FIFO at `path`. */
  readonly keptFd?: number;
  /** Handles one request; the next waits for it. Its failure is logged, never thrown. */
  readonly handle: (request: FifoRequest) => Promise<void>;
  readonly log: (priority: LogPriority, message: string) => void;
}

/** Why `found` is not a FIFO of ours with the right mode, or null when it is. */
function problem(found: FileIdentity, euid: number): string | null {
  if (found.type !== "fifo") return "it is not a FIFO";
  if (found.uid !== euid) return `it is owned by uid ${found.uid}`;
  if (found.mode !== FIFO_MODE) return `its mode is ${found.mode.toString(8)}`;
  return null;
}

/** The command FIFO, open and read in the poll loop. */
export class CommandFifo {
  readonly fd: number;
  readonly #options: CommandFifoOptions;
  readonly #id: string;
  readonly #reader = new FifoLineReader();
  readonly #buf = new Uint8Array(64 * 1024);
  #tail: Promise<void> = Promise.resolve();
  #queued = 0;
  #registered = false;
  #closed = false;

  private constructor(fd: number, id: string, options: CommandFifoOptions) {
    this.fd = fd;
    this.#id = id;
    this.#options = options;
    this.#register();
  }

  /**
   * Takes up the kept fd, or makes the FIFO anew: a stale FIFO of ours at the path is replaced;
   * anything else there, or a directory that is not ours alone, is refused.
   *
   * @throws {FifoRefusedError} when the path or its directory is not ours
   * @throws {LibcError} when a system call fails
   */
  static open(options: CommandFifoOptions): CommandFifo {
    const { path, euid } = options;
    const kept = options.keptFd;
    if (kept !== undefined) {
      try {
        const st = statFd(kept);
        if (problem(st, euid) === null && statPath(path)?.id === st.id) {
          setCloseOnExec(kept, true);
          return new CommandFifo(kept, st.id, options);
        }
      } catch { /* not open any more: make it anew */ }
      closeQuietly(kept);
    }
    const dir = path.slice(0, path.lastIndexOf("/")) || "/";
    const parent = statPath(dir);
    if (parent === null || parent.type !== "directory") {
      throw new FifoRefusedError(path, `${dir} is not a directory`);
    }
    if (parent.uid !== euid || (parent.mode & 0o022) !== 0) {
      throw new FifoRefusedError(path, `${dir} is not the daemon's alone`);
    }
    const old = statPath(path);
    if (old !== null) {
      const why = problem(old, euid);
      if (why !== null && !(old.type === "fifo" && old.uid === euid)) {
        throw new FifoRefusedError(path, why);
      }
      unlinkPath(path); // a FIFO of ours left by an earlier daemon: nobody reads it
    }
    makeFifo(path, FIFO_MODE);
    const fd = openFifo(path);
    try {
      chmodFd(fd, FIFO_MODE); // whatever the umask was
      const st = statFd(fd);
      const why = problem(st, euid);
      if (why !== null) throw new FifoRefusedError(path, why);
      return new CommandFifo(fd, st.id, options);
    } catch (e) {
      closeQuietly(fd);
      throw e;
    }
  }

  /**
   * Reads what was written so far and resolves once every line read is handled: a socket
   * request waits for it, so lines come first (the order their writers saw).
   */
  caughtUp(): Promise<void> {
    if (!this.#closed && this.#queued < MAX_QUEUED) this.#readNow();
    return this.#tail;
  }

  /** Clears (or sets again) close-on-exec on the FIFO's fd; returns it (docs/reexec.md). */
  keepAcrossExec(keep = true): number {
    setCloseOnExec(this.fd, !keep);
    return this.fd;
  }

  /** Stops reading, closes the fd and removes the FIFO when the path is still this one. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unregister();
    closeQuietly(this.fd);
    try {
      if (statPath(this.#options.path)?.id === this.#id) unlinkPath(this.#options.path);
    } catch { /* gone already */ }
  }

  #register(): void {
    if (this.#registered || this.#closed) return;
    this.#options.loop.add(this.fd, EPOLLIN, () => this.#readNow());
    this.#registered = true;
  }

  #unregister(): void {
    if (!this.#registered) return;
    this.#options.loop.remove(this.fd);
    this.#registered = false;
  }

  #readNow(): void {
    const { log, path } = this.#options;
    for (let i = 0; i < READS_PER_WAKE && this.#queued < MAX_QUEUED; i++) {
      let n: number;
      try {
        n = readAvailable(this.fd, this.#buf);
      } catch (e) {
        log("error", `${path}: ${String(e)}`);
        return;
      }
      if (n <= 0) return;
      for (const item of this.#reader.push(this.#buf.subarray(0, n))) {
        if (item.kind === "rejected") {
          log("warn", `${path}: line dropped: ${item.detail}`);
          continue;
        }
        this.#enqueue(item);
      }
    }
    if (this.#queued >= MAX_QUEUED) this.#unregister();
  }

  #enqueue(request: FifoRequest): void {
    this.#queued++;
    this.#tail = this.#tail.then(() => this.#options.handle(request)).catch((e) =>
      this.#options.log("error", `${this.#options.path}: ${request.kind} failed: ${String(e)}`)
    ).finally(() => {
      this.#queued--;
      if (this.#queued === 0) this.#register();
    });
  }
}

/** An open command FIFO, as the daemon uses it. */
export interface CommandFifoChannel {
  caughtUp(): Promise<void>;
  keepAcrossExec(keep?: boolean): number;
  close(): void;
}

/** The port that opens the command FIFO, and telinit's world for its `telinit` lines. */
export interface CommandFifoPort {
  /** @throws {FifoRefusedError} when the path is not ours; {LibcError} when a call fails */
  open(
    options: Pick<CommandFifoOptions, "path" | "keptFd" | "handle" | "log">,
  ): CommandFifoChannel;
  readonly telinit: FifoCommandDeps["telinit"];
}

/** The real port: the FIFO in `loop`, owned by this process's euid; utmp and wtmp on disk. */
export function realCommandFifo(loop: PollLoop): CommandFifoPort {
  return {
    open: (options) => CommandFifo.open({ ...options, loop, euid: effectiveIds().euid }),
    telinit: {
      now: () => Date.now(),
      // Deno.osRelease needs a permission the daemon does not have; /proc has the same text.
      kernelRelease: () => readText("/proc/sys/kernel/osrelease")?.trim() ?? "",
      store: fileRunlevelStore,
    },
  };
}
