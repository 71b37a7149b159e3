/**
 * The few libc calls the peer benchmark needs, through FFI (`--allow-ffi`).
 *
 * Deno 2.9 refuses `/proc` paths to its own file APIs (and to `node:fs`) unless run with
 * `--allow-all`, so `/proc` is read with open/read/opendir here. The bench also makes itself a
 * child subreaper so that every process a manager leaves behind (pm2's daemonised God process,
 * services orphaned by a dying manager) stays a descendant it can find, kill and reap.
 *
 * @module
 */

const SYMBOLS = {
  prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  opendir: { parameters: ["buffer"], result: "pointer" },
  readdir: { parameters: ["pointer"], result: "pointer" },
  closedir: { parameters: ["pointer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

let lib: Deno.DynamicLibrary<typeof SYMBOLS> | null = null;

function sym(): Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] {
  lib ??= Deno.dlopen("libc.so.6", SYMBOLS);
  return lib.symbols;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const O_RDONLY_CLOEXEC = 0o2000000;
const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;
/** Offset of `d_name` in glibc's `struct dirent` on 64-bit Linux. */
const DIRENT_NAME = 19;
/** One buffer for every read: the bench reads /proc from the JS thread only. */
const READ_BUF = new Uint8Array(1 << 16);

function cString(path: string): Uint8Array {
  return encoder.encode(`${path}\0`);
}

/** A failed libc call that the caller has no way to work around. */
export class LibcCallError extends Error {
  /** The libc function that failed. */
  readonly call: string;

  constructor(call: string) {
    super(`Cannot call ${call}(): it returned -1`);
    this.name = "LibcCallError";
    this.call = call;
  }
}

/** `prctl(PR_SET_CHILD_SUBREAPER, 1)`: orphaned descendants are re-parented to this process. */
export function becomeSubreaper(): void {
  if (sym().prctl(PR_SET_CHILD_SUBREAPER, 1n, 0n, 0n, 0n) !== 0) {
    throw new LibcCallError("prctl");
  }
}

/**
 * `waitpid(pid, &status, WNOHANG)` for one specific pid (never -1: a global wait would steal the
 * exit status of Deno's own children). Returns true when the pid was reaped.
 */
export function reapPid(pid: number): boolean {
  if (pid <= 0) throw new RangeError(`Cannot wait for pid ${pid}: only a specific pid is allowed`);
  return sym().waitpid(pid, new Int32Array(1), WNOHANG) === pid;
}

/** A small file's text (a `/proc` entry), or `null` when it cannot be read (process gone). */
export function readText(path: string): string | null {
  const fd = sym().open(cString(path), O_RDONLY_CLOEXEC, 0);
  if (fd < 0) return null;
  try {
    let text = "";
    for (;;) {
      const n = Number(sym().read(fd, READ_BUF, BigInt(READ_BUF.length)));
      if (n < 0) return null;
      if (n === 0) return text;
      text += decoder.decode(READ_BUF.subarray(0, n), { stream: true });
    }
  } finally {
    sym().close(fd);
  }
}

/** Names in a directory without `.` and `..`; empty when it cannot be opened. */
export function listDir(path: string): string[] {
  const dir = sym().opendir(cString(path));
  if (dir === null) return [];
  const out: string[] = [];
  try {
    for (;;) {
      const ent = sym().readdir(dir);
      if (ent === null) return out;
      const name = new Deno.UnsafePointerView(ent).getCString(DIRENT_NAME);
      if (name !== "." && name !== "..") out.push(name);
    }
  } finally {
    sym().closedir(dir);
  }
}
