/**
 * The daemon's one poll loop (see docs/benchmarks.md): every raw descriptor the daemon waits on
 * (`console log` pipes, the control socket and its connections) sits in one `epoll` set, waited
 * on by a non-blocking FFI call. No per-descriptor stream objects, no per-descriptor pending
 * operation: one wait for all of them.
 *
 * The wait runs only while something is registered, so an idle daemon (or a finished test)
 * holds no pending call; an eventfd in the set wakes the wait when the last descriptor goes.
 * Handlers run on the JS thread, one batch of ready descriptors at a time; the set is
 * level-triggered, so a handler that leaves data unread is called again.
 *
 * @module
 */

import {
  epollAdd,
  epollCreate,
  EPOLLIN,
  epollModify,
  epollRemove,
  epollWait,
  epollWaitAsync,
  EVENT_BYTES,
  eventFd,
  eventFdDrain,
  eventFdSignal,
  type ReadyFd,
} from "../../sys/epoll.ts";
import { closeFd, LibcError } from "../../sys/libc.ts";

/** Called with the ready events (`EPOLLIN`, `EPOLLHUP`, …) of a descriptor. */
export type ReadyHandler = (events: number) => void;

/** Ready descriptors handled per wait. */
const BATCH = 256;

/** One epoll set and the loop waiting on it. */
export class PollLoop {
  readonly #epfd: number;
  readonly #wake: number;
  readonly #handlers = new Map<number, ReadyHandler>();
  readonly #buf = new Uint8Array(BATCH * EVENT_BYTES);
  #running: Promise<void> | null = null;
  #closed = false;
  /** Waits done, for tests and the bench. */
  waits = 0;

  constructor() {
    this.#epfd = epollCreate();
    this.#wake = eventFd();
    epollAdd(this.#epfd, this.#wake, EPOLLIN);
  }

  /** Descriptors registered now. */
  get size(): number {
    return this.#handlers.size;
  }

  /** The epoll descriptor and the wake eventfd (to keep across a re-exec, say). */
  get fds(): readonly number[] {
    return [this.#epfd, this.#wake];
  }

  /** Registers `fd` for `events`; `handler` runs whenever it is ready. @throws {LibcError} */
  add(fd: number, events: number, handler: ReadyHandler): void {
    if (this.#closed) throw new Error("poll loop closed");
    epollAdd(this.#epfd, fd, events);
    this.#handlers.set(fd, handler);
    this.#ensureRunning();
  }

  /** Changes the events `fd` waits for. @throws {LibcError} */
  modify(fd: number, events: number): void {
    epollModify(this.#epfd, fd, events);
  }

  /** Unregisters `fd` (it is not closed). Unknown or closed fds are ignored. */
  remove(fd: number): void {
    if (!this.#handlers.delete(fd)) return;
    try {
      epollRemove(this.#epfd, fd);
    } catch {
      // already closed: the kernel dropped it from the set
    }
    if (this.#handlers.size === 0 && this.#running !== null) eventFdSignal(this.#wake);
  }

  /** Resolves once no wait is pending (nothing registered). */
  idle(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  /** Unregisters everything, ends the loop and closes the set. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers.clear();
    eventFdSignal(this.#wake);
    await this.idle();
    for (const fd of [this.#epfd, this.#wake]) {
      try {
        closeFd(fd);
      } catch { /* gone */ }
    }
  }

  /** Handles what is ready now without waiting (used after a failed wait, and by tests). */
  pollNow(): number {
    const ready = epollWait(this.#epfd, this.#buf, 0);
    this.#dispatch(ready);
    return ready.length;
  }

  #ensureRunning(): void {
    if (this.#running === null) this.#running = this.#loop();
  }

  async #loop(): Promise<void> {
    try {
      while (this.#handlers.size > 0 && !this.#closed) {
        const ready = await epollWaitAsync(this.#epfd, this.#buf, -1);
        this.waits++;
        if (ready === null) {
          // EINTR (a signal reached the waiting thread) or a real failure: the zero-timeout
          // wait on this thread tells which, and handles whatever is ready meanwhile.
          try {
            this.pollNow();
          } catch (e) {
            if (e instanceof LibcError && e.code === "EBADF") return;
            throw e;
          }
          continue;
        }
        this.#dispatch(ready);
      }
    } finally {
      this.#running = null;
    }
  }

  #dispatch(ready: readonly ReadyFd[]): void {
    for (const { fd, events } of ready) {
      if (fd === this.#wake) {
        eventFdDrain(this.#wake);
        continue;
      }
      const handler = this.#handlers.get(fd);
      if (handler === undefined) continue;
      try {
        handler(events);
      } catch {
        // One descriptor's failure must not stop the others (the daemon never dies of it).
      }
    }
  }
}
