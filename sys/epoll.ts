/**
 * `epoll(7)` and `eventfd(2)` through FFI: the daemon's one poll set over raw descriptors (log
 * pipes, the control socket). The wait runs as a non-blocking FFI call, on one of Deno's blocking
 * threads, so the JS thread is free while nothing is ready.
 *
 * `errno` is per thread: after a failed non-blocking wait it cannot be read from the JS thread,
 * so {@linkcode epollWaitAsync} reports a failure as `null` and the caller asks again with a
 * synchronous zero-timeout wait (EINTR, the usual cause, cannot happen then), whose errno is ours.
 *
 * `struct epoll_event` is packed on x86_64: `u32 events` then `u64 data` (12 bytes).
 *
 * @module
 */

import { bindLibc, LibcError } from "./libc.ts";

const SYMBOLS = {
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32" },
  epoll_wait_nonblocking: {
    name: "epoll_wait",
    parameters: ["i32", "buffer", "i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
} as const satisfies Deno.ForeignLibraryInterface;

// One binding of libc with these symbols, errno read through it (sys/libc.ts).
const { sym, errno, check } = bindLibc(SYMBOLS);

export const EPOLLIN = 0x001;
export const EPOLLOUT = 0x004;
export const EPOLLERR = 0x008;
export const EPOLLHUP = 0x010;
export const EPOLLRDHUP = 0x2000;

const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const EPOLL_CTL_MOD = 3;
const CLOEXEC = 0o2000000;
const NONBLOCK = 0o4000;
const EINTR = 4;

/** Size of one `struct epoll_event`. */
export const EVENT_BYTES = 12;

/** `epoll_create1(EPOLL_CLOEXEC)`. @throws {LibcError} */
export function epollCreate(): number {
  return check("epoll_create1", sym().epoll_create1(CLOEXEC));
}

function ctl(epfd: number, op: number, fd: number, events: number): void {
  const ev = new Uint8Array(EVENT_BYTES);
  const view = new DataView(ev.buffer);
  view.setUint32(0, events, true);
  view.setBigUint64(4, BigInt(fd), true);
  check("epoll_ctl", sym().epoll_ctl(epfd, op, fd, ev));
}

/** Adds `fd` with `events`; the event's data is the fd itself. @throws {LibcError} */
export function epollAdd(epfd: number, fd: number, events: number): void {
  ctl(epfd, EPOLL_CTL_ADD, fd, events);
}

/** Changes the events `fd` is watched for. @throws {LibcError} */
export function epollModify(epfd: number, fd: number, events: number): void {
  ctl(epfd, EPOLL_CTL_MOD, fd, events);
}

/** Removes `fd` (closing an fd removes it too). @throws {LibcError} */
export function epollRemove(epfd: number, fd: number): void {
  ctl(epfd, EPOLL_CTL_DEL, fd, 0);
}

/** One ready descriptor. */
export interface ReadyFd {
  readonly fd: number;
  readonly events: number;
}

/** Decodes `count` events from a wait's buffer. */
export function decodeEvents(buf: Uint8Array, count: number): ReadyFd[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: ReadyFd[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * EVENT_BYTES;
    out.push({ fd: Number(view.getBigUint64(at + 4, true)), events: view.getUint32(at, true) });
  }
  return out;
}

/**
 * Synchronous `epoll_wait` (use `timeoutMs` 0 on the JS thread); retries EINTR.
 * @throws {LibcError} e.g. EBADF once the set is closed
 */
export function epollWait(epfd: number, buf: Uint8Array, timeoutMs: number): ReadyFd[] {
  const max = Math.floor(buf.length / EVENT_BYTES);
  for (;;) {
    const n = sym().epoll_wait(epfd, buf, max, timeoutMs);
    if (n >= 0) return decodeEvents(buf, n);
    const err = errno();
    if (err !== EINTR) throw new LibcError("epoll_wait", err);
  }
}

/**
 * `epoll_wait` on a blocking thread. `null` when the wait failed (EINTR, or a closed set): ask
 * again with {@linkcode epollWait} and a zero timeout, which reports the errno.
 */
export async function epollWaitAsync(
  epfd: number,
  buf: Uint8Array,
  timeoutMs: number,
): Promise<ReadyFd[] | null> {
  const n = await sym().epoll_wait_nonblocking(
    epfd,
    buf,
    Math.floor(buf.length / EVENT_BYTES),
    timeoutMs,
  );
  return n < 0 ? null : decodeEvents(buf, n);
}

/** `eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)`: a counter that wakes a poll set. @throws {LibcError} */
export function eventFd(): number {
  return check("eventfd", sym().eventfd(0, CLOEXEC | NONBLOCK));
}

const ONE = new BigUint64Array([1n]);
const SINK = new BigUint64Array(1);

/** Adds one to an eventfd (makes it readable). */
export function eventFdSignal(fd: number): void {
  sym().write(fd, new Uint8Array(ONE.buffer), 8n);
}

/** Resets an eventfd (reads its counter; EAGAIN when already zero is fine). */
export function eventFdDrain(fd: number): void {
  sym().read(fd, new Uint8Array(SINK.buffer), 8n);
}
