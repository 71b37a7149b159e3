/**
 * What a re-exec of the daemon needs from libc (docs/reexec.md): execve(2) of its own image with
 * its own command line, and a memfd to carry
 * the state. Opened lazily; needs only `--allow-ffi`.
 *
 * @module
 */

import { bindLibc, LibcError, readFileBytes } from "./libc.ts";

const SYMBOLS = {
  execve: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  memfd_create: { parameters: ["buffer", "u32"], result: "i32" },
  pwrite: { parameters: ["i32", "buffer", "usize", "i64"], result: "isize" },
  pread: { parameters: ["i32", "buffer", "usize", "i64"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const { sym, errno, check } = bindLibc(SYMBOLS);

const encoder = new TextEncoder();
const cstr = (s: string) => encoder.encode(`${s}\0`);

/**
 * A memfd holding `data`, kept across exec (no close-on-exec), for the next image to read with
 * {@linkcode readWhole}.
 *
 * @throws {LibcError}
 */
export function memfdWith(name: string, data: Uint8Array): number {
  const fd = check("memfd_create", sym().memfd_create(cstr(name), 0));
  let at = 0;
  while (at < data.length) {
    const part = data.subarray(at) as Uint8Array<ArrayBuffer>;
    const n = Number(sym().pwrite(fd, part, BigInt(part.length), BigInt(at)));
    if (n === -1) {
      const err = errno();
      sym().close(fd);
      throw new LibcError("pwrite", err);
    }
    at += n;
  }
  return fd;
}

/** Every byte of a regular file (a memfd) from offset 0, whatever the fd's offset. */
export function readWhole(fd: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (;;) {
    const buf = new Uint8Array(64 * 1024);
    const n = check("pread", Number(sym().pread(fd, buf, BigInt(buf.length), BigInt(at))));
    if (n === 0) break;
    parts.push(buf.subarray(0, n));
    at += n;
  }
  const out = new Uint8Array(at);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * execve(2): replaces this process's image, keeping its pid (PID 1 stays PID 1), its children
 * and every descriptor without close-on-exec.
 *
 * @returns never when it worked
 * @throws {LibcError} when the kernel refused (the daemon then goes on as it was)
 */
export function execve(path: string, argv: readonly string[], env: readonly string[]): never {
  const keep: Uint8Array[] = [];
  const table = (items: readonly string[]) => {
    const t = new BigUint64Array(items.length + 1);
    items.forEach((s, i) => {
      const c = cstr(s);
      keep.push(c);
      t[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(c as Uint8Array<ArrayBuffer>)));
    });
    return t;
  };
  const a = table(argv);
  const e = table(env);
  sym().execve(cstr(path), a, e);
  const err = errno();
  keep.length = 0;
  throw new LibcError("execve", err);
}

/** The command line this process was started with (`/proc/self/cmdline`). */
export function ownCommandLine(): string[] {
  const text = new TextDecoder().decode(readFileBytes("/proc/self/cmdline"));
  const parts = text.split("\0");
  if (parts.at(-1) === "") parts.pop();
  return parts;
}
