/**
 * Unix stream sockets over raw descriptors (socket, bind, listen, accept4) through FFI, for a
 * control socket whose accepted connections are plain fds: the peer's credentials are one
 * `getsockopt(SO_PEERCRED)` on the fd, with no `/proc/self/fd` scan (see docs/benchmarks.md).
 * Every descriptor is non-blocking and close-on-exec.
 *
 * @module
 */

import { bindLibc, LibcError } from "./libc.ts";

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  accept4: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

// One binding of libc with these symbols, errno read through it (sys/libc.ts).
const { sym, errno, check } = bindLibc(SYMBOLS);

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const MSG_NOSIGNAL = 0x4000;
const SHUT_WR = 1;
/** Errno values a non-blocking socket call returns routinely. */
export const EAGAIN = 11;
export const EINTR = 4;

/** `struct sockaddr_un` for `path` (at most 107 bytes). */
function sockaddr(path: string): Uint8Array {
  const bytes = new TextEncoder().encode(path);
  if (bytes.length > 107) throw new LibcError("bind", 36); // ENAMETOOLONG
  const addr = new Uint8Array(110);
  new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
  addr.set(bytes, 2);
  return addr;
}

/**
 * A listening unix stream socket bound at `path` (the file gets the mode the umask allows). The
 * backlog is large (the kernel caps it at `net.core.somaxconn`): a burst of clients connecting
 * at once must queue, not fail with EAGAIN.
 * @throws {LibcError} e.g. EADDRINUSE when the file exists
 */
export function listenUnix(path: string, backlog = 4096): number {
  const fd = check("socket", sym().socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  try {
    const addr = sockaddr(path);
    check("bind", sym().bind(fd, addr, addr.length));
    check("listen", sym().listen(fd, backlog));
  } catch (e) {
    closeSocket(fd);
    throw e;
  }
  return fd;
}

/**
 * `accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)`: the new connection's fd, or -1 when
 * none is waiting (EAGAIN) or the call was interrupted. @throws {LibcError} other failures
 */
export function acceptConnection(fd: number): number {
  const got = sym().accept4(fd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (got >= 0) return got;
  const err = errno();
  if (err === EAGAIN || err === EINTR) return -1;
  throw new LibcError("accept4", err);
}

/** A blocking client connection to `path` (for tests). @throws {LibcError} */
export function connectUnix(path: string): number {
  const fd = check("socket", sym().socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const addr = sockaddr(path);
  try {
    check("connect", sym().connect(fd, addr, addr.length));
  } catch (e) {
    closeSocket(fd);
    throw e;
  }
  return fd;
}

/** `read`: bytes read, 0 at end of stream, -1 when nothing is there yet (EAGAIN/EINTR). */
export function readSocket(fd: number, buf: Uint8Array): number {
  const n = Number(sym().read(fd, buf, BigInt(buf.length)));
  if (n >= 0) return n;
  const err = errno();
  if (err === EAGAIN || err === EINTR) return -1;
  throw new LibcError("read", err);
}

/**
 * `send(MSG_NOSIGNAL)` (a vanished peer is EPIPE, not SIGPIPE): bytes sent, -1 when the buffer
 * is full (EAGAIN/EINTR). @throws {LibcError} e.g. EPIPE
 */
export function writeSocket(fd: number, data: Uint8Array): number {
  const n = Number(sym().send(fd, data, BigInt(data.length), MSG_NOSIGNAL));
  if (n >= 0) return n;
  const err = errno();
  if (err === EAGAIN || err === EINTR) return -1;
  throw new LibcError("send", err);
}

/** `shutdown(SHUT_WR)`: the peer reads end of stream; ignores failures. */
export function shutdownWrite(fd: number): void {
  sym().shutdown(fd, SHUT_WR);
}

/** `close(fd)`, ignoring failures (the fd is gone either way). */
export function closeSocket(fd: number): void {
  sym().close(fd);
}
