/**
 * The one FFI binding of libc in the tree (see docs/platform.md#ffi), opened lazily on first use so
 * that modules importing this file cost nothing until a call is made. Needs only `--allow-ffi`.
 *
 * File access to `/proc` (and to log files) also goes through here: Deno 2.9 refuses `/proc`
 * and `/dev` paths to its own file APIs unless run with `--allow-all`, and its `node:fs` drops
 * `O_NOFOLLOW` under granular permissions (it resolves symlinks to check them).
 *
 * Every wrapper reads `errno` right after a failing call (the value is only meaningful then) and
 * throws {@linkcode LibcError}; callers that expect a failure (ESRCH on kill, ECHILD on waitpid)
 * catch it by `code`.
 *
 * @module
 */

import { decodeWaitStatus, type ExitStatus } from "./wait_status.ts";

const SYMBOLS = {
  prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
  // PR_GET_CHILD_SUBREAPER writes through arg2, so the same symbol is bound again with a buffer.
  prctl_get: { name: "prctl", parameters: ["i32", "buffer", "u64", "u64", "u64"], result: "i32" },
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  waitid: { parameters: ["i32", "u32", "buffer", "i32"], result: "i32" },
  kill: { parameters: ["i32", "i32"], result: "i32" },
  tgkill: { parameters: ["i32", "i32", "i32"], result: "i32" },
  killpg: { parameters: ["i32", "i32"], result: "i32" },
  getpid: { parameters: [], result: "i32" },
  geteuid: { parameters: [], result: "u32" },
  getegid: { parameters: [], result: "u32" },
  getpgid: { parameters: ["i32"], result: "i32" },
  umask: { parameters: ["u32"], result: "u32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  setpriority: { parameters: ["i32", "u32", "i32"], result: "i32" },
  prlimit: { parameters: ["i32", "i32", "buffer", "buffer"], result: "i32" },
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  fchmod: { parameters: ["i32", "u32"], result: "i32" },
  memfd_create: { parameters: ["buffer", "u32"], result: "i32" },
  pipe2: { parameters: ["buffer", "i32"], result: "i32" },
  pidfd_open: { parameters: ["i32", "u32"], result: "i32" },
  readlink: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
  opendir: { parameters: ["buffer"], result: "pointer" },
  readdir: { parameters: ["pointer"], result: "pointer" },
  closedir: { parameters: ["pointer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

let lib: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] | null = null;

function sym(): Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] {
  return lib ??= lazySymbols(SYMBOLS);
}

/** `__errno_location`, bound once, before any other symbol (see {@linkcode lazySymbols}). */
let errnoLocation: (() => Deno.PointerValue) | null = null;

/**
 * The symbols of a libc binding, each bound on its first use. Deno compiles a call trampoline for
 * every symbol it binds, about half a millisecond each: binding the ~90 symbols of sys/ at once
 * cost the daemon tens of milliseconds before its first job, most of them for calls that start-up
 * never makes (docs/platform.md#start-up-costs). `__errno_location` is bound with the first
 * symbol, so that no binding (a dlopen) ever runs between a failed call and its errno's reading.
 */
function lazySymbols<S extends Deno.ForeignLibraryInterface>(
  symbols: S,
): Deno.DynamicLibrary<S>["symbols"] {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(symbols)) {
    Object.defineProperty(out, name, {
      configurable: true,
      enumerable: true,
      get() {
        errnoLocation ??= Deno.dlopen("libc.so.6", ERRNO_SYMBOL).symbols.__errno_location;
        const bound = name === "__errno_location"
          ? errnoLocation
          : Deno.dlopen("libc.so.6", { [name]: symbols[name] } as Deno.ForeignLibraryInterface)
            .symbols[name];
        Object.defineProperty(out, name, { value: bound, enumerable: true });
        return bound;
      },
    });
  }
  return out as Deno.DynamicLibrary<S>["symbols"];
}

/** Linux errno names for the values the daemon reacts to. */
const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: "EPERM",
  2: "ENOENT",
  3: "ESRCH",
  4: "EINTR",
  5: "EIO",
  7: "E2BIG",
  8: "ENOEXEC",
  9: "EBADF",
  10: "ECHILD",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  16: "EBUSY",
  17: "EEXIST",
  19: "ENODEV",
  20: "ENOTDIR",
  21: "EISDIR",
  22: "EINVAL",
  28: "ENOSPC",
  30: "EROFS",
  36: "ENAMETOOLONG",
  40: "ELOOP",
  88: "ENOTSOCK",
  95: "EOPNOTSUPP",
};

/** The errno value of a symbolic name (`"ENOENT"` → 2), or null when not in the table. */
export function errnoNumber(code: string): number | null {
  for (const [num, name] of Object.entries(ERRNO_NAMES)) if (name === code) return Number(num);
  return null;
}

/** The symbolic name of an errno value (`3` → `"ESRCH"`), or `"E<n>"` for values not in the table. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `E${errno}`;
}

/** A failed libc call: which call, the raw errno, its name and glibc's message. */
export class LibcError extends Error {
  /** The libc function that failed. */
  readonly call: string;
  /** The raw errno value. */
  readonly errno: number;
  /** Symbolic name (`"ESRCH"`), or `"E<n>"` for values not in the table. */
  readonly code: string;

  constructor(call: string, errno: number) {
    super(`${call}() failed: ${strerror(errno)}`);
    this.name = "LibcError";
    this.call = call;
    this.errno = errno;
    this.code = errnoName(errno);
  }
}

/** Reads the calling thread's `errno`. Only meaningful right after a failed call. */
export function errno(): number {
  const p = sym().__errno_location();
  return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
}

/** glibc's text for an errno value, e.g. `strerror(2)` → `"No such file or directory"`. */
export function strerror(err: number): string {
  const p = sym().strerror(err);
  return p === null ? `Unknown error ${err}` : new Deno.UnsafePointerView(p).getCString();
}

function check(call: string, rc: number): number {
  if (rc === -1) throw new LibcError(call, errno());
  return rc;
}

const ERRNO_SYMBOL = {
  __errno_location: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/** A module's own binding of libc symbols, from {@linkcode bindLibc}. */
export interface LibcBinding<S extends Deno.ForeignLibraryInterface> {
  /** The symbols (libc opened on the first call). */
  readonly sym: () => Deno.DynamicLibrary<S & typeof ERRNO_SYMBOL>["symbols"];
  /** The calling thread's `errno`, read through this binding; only meaningful right after a failed call. */
  readonly errno: () => number;
  /** `rc`, or {@linkcode LibcError} with `errno` when `rc` is -1. */
  readonly check: (call: string, rc: number) => number;
}

/**
 * Binds `symbols` of libc for another module of sys/ (a binding of its own keeps this file's
 * symbol table to what it uses), opened lazily like this one, with the errno plumbing every
 * binding needs. errno is read through the same binding as the call, so nothing (not even the
 * first dlopen) runs between a failed call and its errno.
 */
export function bindLibc<const S extends Deno.ForeignLibraryInterface>(
  symbols: S,
): LibcBinding<S> {
  let bound: Deno.DynamicLibrary<S & typeof ERRNO_SYMBOL>["symbols"] | null = null;
  const sym = () => bound ??= lazySymbols({ ...symbols, ...ERRNO_SYMBOL });
  const errno = () => {
    // The intersection with a generic S hides the symbol's own type: name it.
    const own = sym() as Deno.StaticForeignLibraryInterface<typeof ERRNO_SYMBOL>;
    const p = own.__errno_location();
    return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
  };
  const check = (call: string, rc: number) => {
    if (rc === -1) throw new LibcError(call, errno());
    return rc;
  };
  return { sym, errno, check };
}

const PR_SET_CHILD_SUBREAPER = 36;
const PR_GET_CHILD_SUBREAPER = 37;

/** `prctl(PR_SET_CHILD_SUBREAPER, on)`: orphaned descendants are re-parented to this process. */
export function setChildSubreaper(on: boolean): void {
  check("prctl", sym().prctl(PR_SET_CHILD_SUBREAPER, on ? 1n : 0n, 0n, 0n, 0n));
}

/** `prctl(PR_GET_CHILD_SUBREAPER)`. */
export function isChildSubreaper(): boolean {
  const out = new Int32Array(1);
  check("prctl", sym().prctl_get(PR_GET_CHILD_SUBREAPER, out, 0n, 0n, 0n));
  return out[0] !== 0;
}

/** What `waitpid(pid, WNOHANG)` saw: `pid` 0 means "still running". */
export interface WaitResult {
  readonly pid: number;
  readonly status: ExitStatus | null;
}

const WNOHANG = 1;

/**
 * `waitpid(pid, &status, WNOHANG)` for one specific pid. Never pass -1 here: a global wait steals
 * Deno's own children (see docs/platform.md#processes).
 *
 * @throws {LibcError} `ECHILD` when `pid` is not (or no longer) our child.
 */
export function waitpidNoHang(pid: number): WaitResult {
  if (pid <= 0) throw new RangeError(`Cannot wait for pid ${pid}: only a specific pid is allowed`);
  const st = new Int32Array(1);
  let got = sym().waitpid(pid, st, WNOHANG);
  // Even WNOHANG fails with EINTR when a signal arrives during the call: ask again.
  while (got === -1 && errno() === 4) got = sym().waitpid(pid, st, WNOHANG);
  check("waitpid", got);
  return { pid: got, status: got === 0 ? null : decodeWaitStatus(st[0] ?? 0) };
}

const P_ALL = 0;
const WEXITED = 4;
const WNOWAIT = 0x01000000;
const SIGINFO = new Int32Array(32);

/**
 * The pid of a child that has ended and not been reaped, without reaping it
 * (`waitid(P_ALL, WEXITED | WNOHANG | WNOWAIT)`): 0 when none has, -1 when there are no children.
 * The same child comes back until someone reaps it.
 */
export function peekEndedChild(): number {
  SIGINFO[4] = 0;
  const info = new Uint8Array(SIGINFO.buffer);
  let rc = sym().waitid(P_ALL, 0, info, WEXITED | WNOHANG | WNOWAIT);
  while (rc === -1 && errno() === 4) rc = sym().waitid(P_ALL, 0, info, WEXITED | WNOHANG | WNOWAIT);
  if (rc === -1) return -1;
  return SIGINFO[4]!; // si_pid: at byte 16 of siginfo_t
}

/** `kill(pid, sig)`. @throws {LibcError} e.g. `ESRCH`, `EPERM`. */
export function kill(pid: number, sig: number): void {
  check("kill", sym().kill(pid, sig));
}

/** `tgkill(getpid(), tid, sig)`: a signal to one thread of this process. @throws {LibcError} */
export function signalThread(tid: number, sig: number): void {
  check("tgkill", sym().tgkill(getpid(), tid, sig));
}

/** `killpg(pgrp, sig)`. @throws {LibcError} e.g. `ESRCH`. */
export function killpg(pgrp: number, sig: number): void {
  check("killpg", sym().killpg(pgrp, sig));
}

/** `getpid()`: the real pid (Deno.pid is the same, but this works inside any namespace setup). */
export function getpid(): number {
  return sym().getpid();
}

/** `geteuid()` and `getegid()` (Deno's own `uid()` needs `--allow-sys`). */
export function effectiveIds(): { readonly euid: number; readonly egid: number } {
  return { euid: sym().geteuid(), egid: sym().getegid() };
}

/** `getpgid(pid)`. @throws {LibcError} `ESRCH` when the process is gone. */
export function getpgid(pid: number): number {
  return check("getpgid", sym().getpgid(pid));
}

/** `umask(mask)`; returns the previous mask. */
export function umask(mask: number): number {
  return sym().umask(mask);
}

/** Reads the process umask (set and restore; nothing else runs in between on the JS thread). */
export function currentUmask(): number {
  const old = sym().umask(0o022);
  sym().umask(old);
  return old;
}

/** Credentials of a unix socket peer (`struct ucred`). */
export interface PeerCred {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;
const SO_ACCEPTCONN = 30;

/** `getsockopt(fd, SOL_SOCKET, SO_PEERCRED)`. @throws {LibcError} e.g. `ENOTSOCK`. */
export function getPeerCred(fd: number): PeerCred {
  const buf = new Int32Array(3);
  const len = new Uint32Array([12]);
  check("getsockopt", sym().getsockopt(fd, SOL_SOCKET, SO_PEERCRED, buf, len));
  return { pid: buf[0] ?? 0, uid: (buf[1] ?? 0) >>> 0, gid: (buf[2] ?? 0) >>> 0 };
}

/** `getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN)`: true for a listening socket. */
export function isListening(fd: number): boolean {
  const buf = new Int32Array(1);
  const len = new Uint32Array([4]);
  check("getsockopt", sym().getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, buf, len));
  return buf[0] !== 0;
}

const AF_UNIX = 1;

/**
 * The local unix path of socket `fd` (`getsockname`), `null` for a non-unix or unnamed socket.
 * Abstract names are returned with their leading NUL, as `Deno.listen` takes them.
 */
export function unixSocketName(fd: number): string | null {
  const addr = new Uint8Array(110);
  const len = new Uint32Array([addr.length]);
  check("getsockname", sym().getsockname(fd, addr, len));
  const family = addr[0]! | (addr[1]! << 8);
  const n = Math.min(len[0] ?? 0, addr.length);
  if (family !== AF_UNIX || n <= 2) return null;
  let path = addr.subarray(2, n);
  if (path[0] !== 0) {
    const nul = path.indexOf(0);
    if (nul >= 0) path = path.subarray(0, nul);
  }
  return new TextDecoder().decode(path);
}

const PRIO_PROCESS = 0;

/** `setpriority(PRIO_PROCESS, pid, nice)`. @throws {LibcError} `EACCES` when raising priority unprivileged. */
export function setPriority(pid: number, nice: number): void {
  check("setpriority", sym().setpriority(PRIO_PROCESS, pid, nice));
}

/** `RLIM_INFINITY` as a JS value. */
export const RLIM_INFINITY = "unlimited";
/** One rlimit value: a count, or `"unlimited"`. */
export type RlimValue = number | typeof RLIM_INFINITY;

/** Resource numbers for `prlimit`, keyed by the `limit` stanza's names. */
export const RLIMIT_RESOURCES: Readonly<Record<string, number>> = {
  cpu: 0,
  fsize: 1,
  data: 2,
  stack: 3,
  core: 4,
  rss: 5,
  nproc: 6,
  nofile: 7,
  memlock: 8,
  as: 9,
  sigpending: 11,
  msgqueue: 12,
  nice: 13,
  rtprio: 14,
};

const INFINITY = 0xffff_ffff_ffff_ffffn;

function toRlim(v: RlimValue): bigint {
  return v === RLIM_INFINITY ? INFINITY : BigInt(v);
}

function fromRlim(v: bigint): RlimValue {
  return v === INFINITY ? RLIM_INFINITY : Number(v);
}

/**
 * `prlimit(pid, resource, new, old)`: sets the limit when `next` is given; returns the old one.
 * `pid` 0 is the calling process.
 *
 * @throws {LibcError} `EPERM` when raising a hard limit without CAP_SYS_RESOURCE.
 */
export function prlimit(
  pid: number,
  resource: number,
  next?: readonly [soft: RlimValue, hard: RlimValue],
): [soft: RlimValue, hard: RlimValue] {
  const old = new BigUint64Array(2);
  const nu = next === undefined ? null : new BigUint64Array([toRlim(next[0]), toRlim(next[1])]);
  check("prlimit", sym().prlimit(pid, resource, nu, old));
  return [fromRlim(old[0]!), fromRlim(old[1]!)];
}

/** `open(2)` flags used by the daemon (Linux values). */
export const O_RDONLY = 0;
export const O_WRONLY = 0o1;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_APPEND = 0o2000;
export const O_NOFOLLOW = 0o400000;
export const O_CLOEXEC = 0o2000000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function cString(path: string): Uint8Array {
  return encoder.encode(`${path}\0`);
}

/** `open(path, flags, mode)`; `O_CLOEXEC` is always added. @throws {LibcError} */
export function openFd(path: string, flags: number, mode = 0): number {
  return check("open", sym().open(cString(path), flags | O_CLOEXEC, mode));
}

/** `read(fd, buf)`; returns the byte count (0 at end of file). @throws {LibcError} */
export function readFd(fd: number, buf: Uint8Array): number {
  return check("read", Number(sym().read(fd, buf, BigInt(buf.length))));
}

/** `write(fd, data)`; returns the byte count written. @throws {LibcError} e.g. `ENOSPC`. */
export function writeFd(fd: number, data: Uint8Array): number {
  return check("write", Number(sym().write(fd, data, BigInt(data.length))));
}

/**
 * `memfd_create(name, MFD_CLOEXEC)`: an anonymous file in memory, for data a child must open
 * (through `/proc/PID/fd/N`) that needs no place on disk. @throws {LibcError}
 */
export function memfdCreate(name: string): number {
  return check("memfd_create", sym().memfd_create(cString(name), 1 /* MFD_CLOEXEC */));
}

/** `close(fd)`. @throws {LibcError} */
export function closeFd(fd: number): void {
  check("close", sym().close(fd));
}

/** `close(fd)` where a descriptor already closed is not an error. */
export function closeQuietly(fd: number): void {
  sym().close(fd);
}

const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;

/**
 * Marks every open fd above 2 close-on-exec, so that descriptors the daemon
 * inherited from its own parent never leak into job processes.
 *
 * @returns how many fds were changed
 */
export function closeInheritedFdsOnExec(): number {
  let changed = 0;
  for (const name of listDir("/proc/self/fd")) {
    const fd = Number(name);
    if (!Number.isInteger(fd) || fd <= 2) continue;
    const flags = sym().fcntl(fd, F_GETFD, 0);
    if (flags < 0 || (flags & FD_CLOEXEC) !== 0) continue;
    if (sym().fcntl(fd, F_SETFD, flags | FD_CLOEXEC) === 0) changed++;
  }
  return changed;
}

const F_GETFL = 3;
const F_SETFL = 4;
/** `O_NONBLOCK` (Linux value). */
export const O_NONBLOCK = 0o4000;

/**
 * `pipe2(O_CLOEXEC | extra)`: `[readEnd, writeEnd]`. Close-on-exec, so no other child inherits
 * them; a spawn's `dup2` onto stdout clears it for that child only. @throws {LibcError}
 */
export function pipe(extra = 0): [number, number] {
  const fds = new Int32Array(2);
  check("pipe2", sym().pipe2(new Uint8Array(fds.buffer), O_CLOEXEC | extra));
  return [fds[0]!, fds[1]!];
}

/**
 * Sets or clears `FD_CLOEXEC` on `fd`: cleared, the fd survives an `execve` of the daemon
 * (a re-exec keeping its log pipes and listening socket). @throws {LibcError}
 */
export function setCloseOnExec(fd: number, on: boolean): void {
  const flags = check("fcntl", sym().fcntl(fd, F_GETFD, 0));
  const next = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
  if (next !== flags) check("fcntl", sym().fcntl(fd, F_SETFD, next));
}

/** Whether `fd` has `FD_CLOEXEC`. @throws {LibcError} */
export function isCloseOnExec(fd: number): boolean {
  return (check("fcntl", sym().fcntl(fd, F_GETFD, 0)) & FD_CLOEXEC) !== 0;
}

/** Sets `O_NONBLOCK` on `fd` (reads then fail with EAGAIN instead of waiting). @throws {LibcError} */
export function setNonBlocking(fd: number): void {
  const flags = check("fcntl", sym().fcntl(fd, F_GETFL, 0));
  if ((flags & O_NONBLOCK) === 0) check("fcntl", sym().fcntl(fd, F_SETFL, flags | O_NONBLOCK));
}

/** `pidfd_open(pid, 0)`: a close-on-exec fd that polls readable once `pid` ends. @throws {LibcError} */
export function pidfdOpen(pid: number): number {
  return check("pidfd_open", sym().pidfd_open(pid, 0));
}

/** `fchmod(fd, mode)`. @throws {LibcError} */
export function fchmod(fd: number, mode: number): void {
  check("fchmod", sym().fchmod(fd, mode));
}

/** `readlink(path)`. @throws {LibcError} */
export function readLink(path: string): string {
  const buf = new Uint8Array(4096);
  const n = check("readlink", Number(sym().readlink(cString(path), buf, BigInt(buf.length))));
  return decoder.decode(buf.subarray(0, n));
}

/** A whole (small) file, e.g. under `/proc`. @throws {LibcError} */
export function readFileBytes(path: string): Uint8Array {
  const fd = openFd(path, O_RDONLY);
  try {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const buf = new Uint8Array(4096);
      const n = readFd(fd, buf);
      if (n === 0) break;
      parts.push(buf.subarray(0, n));
      total += n;
    }
    if (parts.length === 1) return parts[0]!;
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  } finally {
    sym().close(fd);
  }
}

/** A small text file, or `null` when it cannot be read (e.g. the process is gone). */
export function readText(path: string): string | null {
  try {
    return decoder.decode(readFileBytes(path));
  } catch (e) {
    if (e instanceof LibcError) return null;
    throw e;
  }
}

/** Offset of `d_name` in glibc's `struct dirent` on 64-bit Linux. */
const DIRENT_NAME = 19;

/** Names in a directory, without `.` and `..`. @throws {LibcError} */
export function listDir(path: string): string[] {
  const dir = sym().opendir(cString(path));
  if (dir === null) throw new LibcError("opendir", errno());
  const out: string[] = [];
  try {
    for (;;) {
      const ent = sym().readdir(dir);
      if (ent === null) break;
      const name = new Deno.UnsafePointerView(ent).getCString(DIRENT_NAME);
      if (name !== "." && name !== "..") out.push(name);
    }
  } finally {
    sym().closedir(dir);
  }
  return out;
}
