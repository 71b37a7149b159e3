/**
 * libseccomp through FFI: compiles a deny-list of system calls into the classic BPF program
 * that `bwrap --seccomp FD` loads (see docs/job-files.md#seccomp). libseccomp does what a
 * hand-written filter gets wrong: the architecture check, the x32 syscall bit, and names to
 * numbers for this machine. Opened lazily on first use; needs `--allow-ffi`.
 *
 * The filter allows everything but the listed calls, which fail with `EPERM` (a program sees an
 * ordinary permission error, not a kill). Calls made with another ABI than the native one
 * (e.g. 32-bit `int 0x80` on x86-64) kill the process: libseccomp's default for a foreign
 * architecture, and the only safe one, since the deny-list names native calls.
 *
 * @module
 */

const SYMBOLS = {
  seccomp_init: { parameters: ["u32"], result: "pointer" },
  seccomp_release: { parameters: ["pointer"], result: "void" },
  seccomp_syscall_resolve_name: { parameters: ["buffer"], result: "i32" },
  // seccomp_rule_add is variadic; the _array form takes the (empty) comparisons by pointer.
  seccomp_rule_add_array: {
    parameters: ["pointer", "u32", "i32", "u32", "pointer"],
    result: "i32",
  },
  seccomp_export_bpf: { parameters: ["pointer", "i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** Where Debian's libseccomp2 installs the library, then the loader's own search. */
const LIBRARY_NAMES = ["libseccomp.so.2", "/lib/x86_64-linux-gnu/libseccomp.so.2"];

const SCMP_ACT_ALLOW = 0x7fff0000;
const EPERM = 1;
/** `SCMP_ACT_ERRNO(e)`: the call fails with errno `e`. */
const actErrno = (e: number): number => (0x00050000 | (e & 0xffff)) >>> 0;

/** A seccomp filter could not be built: libseccomp missing, an unknown name, a failed call. */
export class SeccompError extends Error {
  /** `UNAVAILABLE`, `UNKNOWN_SYSCALL` or `FAILED`. */
  readonly code: "UNAVAILABLE" | "UNKNOWN_SYSCALL" | "FAILED";
  constructor(code: SeccompError["code"], message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SeccompError";
    this.code = code;
  }
}

let lib: Deno.DynamicLibrary<typeof SYMBOLS> | null = null;

function sym(): Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] {
  if (lib !== null) return lib.symbols;
  let last: unknown = null;
  for (const name of LIBRARY_NAMES) {
    try {
      lib = Deno.dlopen(name, SYMBOLS);
      return lib.symbols;
    } catch (e) {
      last = e;
    }
  }
  throw new SeccompError("UNAVAILABLE", "libseccomp.so.2 not found", { cause: last });
}

function cString(s: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${s}\0`);
}

/** Whether libseccomp can be loaded on this machine. */
export function seccompAvailable(): boolean {
  try {
    sym();
    return true;
  } catch {
    return false;
  }
}

/**
 * The native number of system call `name`; negative numbers are libseccomp's pseudo-calls for
 * names that exist on other architectures only (rules on them are accepted and match nothing).
 *
 * @throws {SeccompError} `UNKNOWN_SYSCALL` for a name libseccomp does not know.
 */
export function syscallNumber(name: string): number {
  const nr = sym().seccomp_syscall_resolve_name(cString(name));
  // __NR_SCMP_ERROR
  if (nr === -1) throw new SeccompError("UNKNOWN_SYSCALL", `unknown system call ${name}`);
  return nr;
}

/**
 * Writes to `fd` a BPF program that makes each call in `deny` fail with EPERM and allows the
 * rest.
 *
 * @throws {SeccompError} for an unknown name or a libseccomp failure.
 */
export function exportDenyFilter(deny: readonly string[], fd: number): void {
  const s = sym();
  const numbers = deny.map(syscallNumber);
  const ctx = s.seccomp_init(SCMP_ACT_ALLOW);
  if (ctx === null) throw new SeccompError("FAILED", "seccomp_init failed");
  try {
    const action = actErrno(EPERM);
    numbers.forEach((nr, i) => {
      const rc = s.seccomp_rule_add_array(ctx, action, nr, 0, null);
      if (rc < 0) {
        throw new SeccompError("FAILED", `seccomp_rule_add ${deny[i]}: error ${-rc}`);
      }
    });
    const rc = s.seccomp_export_bpf(ctx, fd);
    if (rc < 0) throw new SeccompError("FAILED", `seccomp_export_bpf: error ${-rc}`);
  } finally {
    s.seccomp_release(ctx);
  }
}
