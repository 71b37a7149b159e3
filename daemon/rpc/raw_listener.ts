/**
 * The control socket over raw descriptors (see docs/benchmarks.md): the listening socket and
 * every accepted connection sit in the daemon's one {@linkcode PollLoop}; each connection knows
 * its peer from `SO_PEERCRED` on its own fd, read once at accept (O(1), no `/proc/self/fd` scan).
 *
 * {@linkcode RawUnixListener} and {@linkcode RawConn} offer the part of `Deno.Listener` and
 * `Deno.Conn` the control-socket server uses (`accept`, `read`, `write`, `close`), plus `peer`
 * and `fd`, so the server can take either. The listening fd can be kept across a re-exec
 * ({@linkcode RawUnixListener.keepAcrossExec}) and taken up again with
 * {@linkcode RawUnixListener.fromFd}.
 *
 * @module
 */

import { EPOLLIN, EPOLLOUT } from "../../sys/epoll.ts";
import { getPeerCred, type PeerCred, setCloseOnExec, setNonBlocking } from "../../sys/libc.ts";
import {
  acceptConnection,
  closeSocket,
  listenUnix,
  readSocket,
  shutdownWrite,
  writeSocket,
} from "../../sys/socket.ts";
import { PollLoop } from "../supervisor/poll_loop.ts";

/** The listener or connection was closed (as `Deno.errors.BadResource` for Deno's). */
export class ClosedError extends Error {
  constructor() {
    super("Cannot use a closed socket");
    this.name = "ClosedError";
  }
}

/** An accepted connection over its raw fd. */
export class RawConn {
  readonly fd: number;
  /** The connecting process, from `SO_PEERCRED` at accept; null if it could not be read. */
  readonly peer: PeerCred | null;
  readonly #loop: PollLoop;
  #closed = false;
  #eof = false;
  #readable: (() => void) | null = null;
  #writable: (() => void) | null = null;
  #events = 0;

  constructor(fd: number, loop: PollLoop) {
    this.fd = fd;
    this.#loop = loop;
    let peer: PeerCred | null = null;
    try {
      peer = getPeerCred(fd);
    } catch {
      // not a unix socket, or already reset: no credentials
    }
    this.peer = peer;
  }

  /** Reads into `buf`: the byte count, or null at end of stream (as `Deno.Conn.read`). */
  async read(buf: Uint8Array): Promise<number | null> {
    for (;;) {
      if (this.#closed) throw new ClosedError();
      if (this.#eof) return null;
      const n = readSocket(this.fd, buf);
      if (n > 0) return n;
      if (n === 0) {
        this.#eof = true;
        return null;
      }
      await new Promise<void>((resolve) => {
        this.#readable = resolve;
        this.#want(EPOLLIN, true);
      });
    }
  }

  /** Writes some of `data`: the byte count (as `Deno.Conn.write`). @throws {LibcError} EPIPE */
  async write(data: Uint8Array): Promise<number> {
    for (;;) {
      if (this.#closed) throw new ClosedError();
      const n = writeSocket(this.fd, data);
      if (n >= 0) return n;
      await new Promise<void>((resolve) => {
        this.#writable = resolve;
        this.#want(EPOLLOUT, true);
      });
    }
  }

  /** Ends the sending side: the peer reads end of stream. */
  closeWrite(): Promise<void> {
    if (!this.#closed) shutdownWrite(this.fd);
    return Promise.resolve();
  }

  /** Closes the connection; a pending read then ends with {@linkcode ClosedError}. */
  close(): void {
    if (this.#closed) throw new ClosedError();
    this.#closed = true;
    if (this.#events !== 0) this.#loop.remove(this.fd);
    this.#events = 0;
    closeSocket(this.fd);
    this.#wakeAll();
  }

  #wakeAll(): void {
    const r = this.#readable;
    const w = this.#writable;
    this.#readable = this.#writable = null;
    r?.();
    w?.();
  }

  /** Adds or drops `flag` from what the poll loop waits for on this fd. */
  #want(flag: number, on: boolean): void {
    const next = on ? this.#events | flag : this.#events & ~flag;
    if (next === this.#events) return;
    if (this.#events === 0) {
      this.#loop.add(this.fd, next, (ev) => this.#ready(ev));
    } else if (next === 0) {
      this.#loop.remove(this.fd);
    } else {
      this.#loop.modify(this.fd, next);
    }
    this.#events = next;
  }

  #ready(events: number): void {
    // Readable, writable, hang-up or error: whoever waits retries its call and learns which.
    if ((events & ~EPOLLOUT) !== 0 && this.#readable !== null) {
      const r = this.#readable;
      this.#readable = null;
      this.#want(EPOLLIN, false);
      r();
    }
    if ((events & ~EPOLLIN) !== 0 && this.#writable !== null) {
      const w = this.#writable;
      this.#writable = null;
      this.#want(EPOLLOUT, false);
      w();
    }
  }
}

/** A listening unix socket whose connections are {@linkcode RawConn}s. */
export class RawUnixListener implements AsyncIterable<RawConn> {
  readonly fd: number;
  readonly #loop: PollLoop;
  #closed = false;
  #registered = false;
  #waiting: { resolve: () => void } | null = null;

  private constructor(fd: number, loop: PollLoop) {
    this.fd = fd;
    this.#loop = loop;
  }

  /** Binds and listens at `path` (the caller sets the umask for the file's mode). */
  static listen(path: string, loop: PollLoop = new PollLoop()): RawUnixListener {
    return new RawUnixListener(listenUnix(path), loop);
  }

  /** Takes up a listening socket kept across an exec. */
  static fromFd(fd: number, loop: PollLoop = new PollLoop()): RawUnixListener {
    setCloseOnExec(fd, true);
    setNonBlocking(fd);
    return new RawUnixListener(fd, loop);
  }

  /** Clears (or sets again) close-on-exec on the listening fd; returns it. */
  keepAcrossExec(keep = true): number {
    setCloseOnExec(this.fd, !keep);
    return this.fd;
  }

  /** The next connection (as `Deno.Listener.accept`). @throws {ClosedError} once closed */
  async accept(): Promise<RawConn> {
    for (;;) {
      if (this.#closed) throw new ClosedError();
      const fd = acceptConnection(this.fd);
      if (fd >= 0) return new RawConn(fd, this.#loop);
      await new Promise<void>((resolve) => {
        this.#waiting = { resolve };
        if (!this.#registered) {
          this.#loop.add(this.fd, EPOLLIN, () => this.#wake());
          this.#registered = true;
        }
      });
    }
  }

  /** Stops listening; a pending accept ends with {@linkcode ClosedError}. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#registered) this.#loop.remove(this.fd);
    this.#registered = false;
    closeSocket(this.fd);
    this.#wake();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RawConn> {
    while (!this.#closed) {
      try {
        yield await this.accept();
      } catch (e) {
        if (e instanceof ClosedError) return;
        throw e;
      }
    }
  }

  #wake(): void {
    const w = this.#waiting;
    this.#waiting = null;
    // Nobody waits for a connection: stop polling the socket until someone does.
    if (w === null && this.#registered) {
      this.#loop.remove(this.fd);
      this.#registered = false;
      return;
    }
    w?.resolve();
  }
}
