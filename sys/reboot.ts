/**
 * reboot(2) and sync(2) through libc: the last two calls of a shutdown (see docs/shutdown.md).
 * Needs `--allow-ffi`. In a child PID namespace reboot(2) does not touch the machine: the kernel
 * ends the namespace, killing its init with SIGHUP (restart) or SIGINT (halt, power-off).
 *
 * @module
 */

/** The `cmd` values of reboot(2) (linux/reboot.h). */
export const REBOOT_COMMANDS = {
  restart: 0x01234567,
  halt: 0xcdef0123,
  poweroff: 0x4321fedc,
  /** Ctrl-Alt-Del reboots at once. */
  cadOn: 0x89abcdef,
  /** Ctrl-Alt-Del sends SIGINT to PID 1 instead. */
  cadOff: 0,
} as const;

/** A name of {@linkcode REBOOT_COMMANDS}. */
export type RebootCommand = keyof typeof REBOOT_COMMANDS;

/** reboot(2) failed (EPERM without CAP_SYS_BOOT, EINVAL…); `errno` says why. */
export class RebootError extends Error {
  /** The C errno value. */
  readonly errno: number;

  /**
   * @param command what was asked
   * @param errno the C errno value
   */
  constructor(command: RebootCommand, errno: number) {
    super(`Cannot reboot(${command}): errno ${errno}`);
    this.name = "RebootError";
    this.errno = errno;
  }
}

const SYMBOLS = {
  reboot: { parameters: ["i32"], result: "i32" },
  sync: { parameters: [], result: "void" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

let libc: Deno.DynamicLibrary<typeof SYMBOLS> | null = null;

function open(): Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] {
  libc ??= Deno.dlopen("libc.so.6", SYMBOLS);
  return libc.symbols;
}

/** Flushes every file system's dirty data to disk (sync(2)). */
export function syncFileSystems(): void {
  open().sync();
}

/**
 * Calls reboot(2). On success with `restart`, `halt` or `poweroff` it does not return (or, in a
 * child PID namespace, the caller is killed with the namespace).
 *
 * @param command what to do
 * @throws {RebootError} when the kernel refuses
 */
export function reboot(command: RebootCommand): void {
  const symbols = open();
  // The i32 parameter takes the command's bit pattern: 0xcdef0123 is negative as a C int.
  if (symbols.reboot(REBOOT_COMMANDS[command] | 0) === 0) return;
  const where = symbols.__errno_location();
  const errno = where === null ? 0 : new Deno.UnsafePointerView(where).getInt32();
  throw new RebootError(command, errno);
}
