/**
 * Named pipes through FFI, for the system daemon's command FIFO (see docs/pid1.md#the-command-fifo):
 * `mkfifo`, an `O_RDWR | O_NONBLOCK` open (a reader that is also a writer never sees end of file,
 * and the open never waits for a peer), non-blocking reads, and `statx` on a path or on an open
 * fd, so the daemon can check that what it opened is its own FIFO (type, owner, mode, inode).
 *
 * `struct statx` has one layout on every architecture, unlike `struct stat`.
 *
 * @module
 */

import { bindLibc, LibcError, readFd } from "./libc.ts";

const SYMBOLS = {
  mkfifo: { parameters: ["buffer", "u32"], result: "i32" },
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  unlink: { parameters: ["buffer"], result: "i32" },
  fchmod: { parameters: ["i32", "u32"], result: "i32" },
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

// One binding of libc with these symbols, errno read through it (sys/libc.ts).
const { sym, errno, check } = bindLibc(SYMBOLS);

const O_RDWR = 0o2;
const O_NONBLOCK = 0o4000;
const O_NOFOLLOW = 0o400000;
const O_CLOEXEC = 0o2000000;
const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_EMPTY_PATH = 0x1000;
const STATX_BASIC_STATS = 0x7ff;
const STATX_BYTES = 256;
const S_IFMT = 0o170000;
const S_IFIFO = 0o010000;
const S_IFDIR = 0o040000;
const ENOENT = 2;

const encoder = new TextEncoder();

function cString(path: string): Uint8Array {
  return encoder.encode(`${path}\0`);
}

/** What the daemon checks of a file: its type, owner, permission bits and identity. */
export interface FileIdentity {
  readonly type: "fifo" | "directory" | "other";
  readonly uid: number;
  /** Permission bits (`mode & 0o7777`). */
  readonly mode: number;
  /** Device and inode, as one string: equal strings name the same file. */
  readonly id: string;
}

function identity(buf: Uint8Array): FileIdentity {
  const view = new DataView(buf.buffer);
  const mode = view.getUint16(28, true);
  const format = mode & S_IFMT;
  return {
    type: format === S_IFIFO ? "fifo" : format === S_IFDIR ? "directory" : "other",
    uid: view.getUint32(20, true),
    mode: mode & 0o7777,
    // stx_dev_major, stx_dev_minor, stx_ino
    id: `${view.getUint32(136, true)}:${view.getUint32(140, true)}:${view.getBigUint64(32, true)}`,
  };
}

/** `statx` of `path`, not following a final symlink; `null` when it does not exist. */
export function statPath(path: string): FileIdentity | null {
  const buf = new Uint8Array(STATX_BYTES);
  const rc = sym().statx(AT_FDCWD, cString(path), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf);
  if (rc === -1) {
    const err = errno();
    if (err === ENOENT) return null;
    throw new LibcError("statx", err);
  }
  return identity(buf);
}

/** `statx` of an open fd. @throws {LibcError} */
export function statFd(fd: number): FileIdentity {
  const buf = new Uint8Array(STATX_BYTES);
  check("statx", sym().statx(fd, cString(""), AT_EMPTY_PATH, STATX_BASIC_STATS, buf));
  return identity(buf);
}

/** `mkfifo(path, mode)` (the umask applies). @throws {LibcError} e.g. EEXIST */
export function makeFifo(path: string, mode: number): void {
  check("mkfifo", sym().mkfifo(cString(path), mode));
}

/**
 * Opens a FIFO read-write, non-blocking, close-on-exec, refusing a symlink: the open never waits
 * for a writer, and the daemon, a writer too, never reads end of file. @throws {LibcError}
 */
export function openFifo(path: string): number {
  return check("open", sym().open(cString(path), O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW, 0));
}

/** `read(fd, buf)` on a non-blocking fd: the byte count, or -1 when nothing is there now. */
export function readAvailable(fd: number, buf: Uint8Array): number {
  for (;;) {
    try {
      return readFd(fd, buf);
    } catch (e) {
      if (e instanceof LibcError && e.code === "EINTR") continue;
      if (e instanceof LibcError && e.code === "EAGAIN") return -1;
      throw e;
    }
  }
}

/** `fchmod(fd, mode)`. @throws {LibcError} */
export function chmodFd(fd: number, mode: number): void {
  check("fchmod", sym().fchmod(fd, mode));
}

/** `unlink(path)`; a missing file is not an error. @throws {LibcError} */
export function unlinkPath(path: string): void {
  if (sym().unlink(cString(path)) === -1) {
    const err = errno();
    if (err !== ENOENT) throw new LibcError("unlink", err);
  }
}
