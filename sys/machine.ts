/**
 * The system calls of a machine's boot and shutdown, for PID 1: mount(2), umount2(2), sync(2),
 * reboot(2), kill(-1), re-opening the console as fds 0–2, setsid(2), chdir(2), the kernel log
 * (`/dev/kmsg`) and execv(3) of the daemon's own image. Opened lazily on first use, so that
 * importing this file costs nothing; needs only `--allow-ffi`.
 *
 * Every call that fails throws {@linkcode MachineCallError} with the errno's name.
 *
 * @module
 */

import { bindLibc, errnoName } from "./libc.ts";

const SYMBOLS = {
  mount: { parameters: ["buffer", "buffer", "buffer", "u64", "buffer"], result: "i32" },
  umount2: { parameters: ["buffer", "i32"], result: "i32" },
  sync: { parameters: [], result: "void" },
  reboot: { parameters: ["i32"], result: "i32" },
  kill: { parameters: ["i32", "i32"], result: "i32" },
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  dup2: { parameters: ["i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  setsid: { parameters: [], result: "i32" },
  chdir: { parameters: ["buffer"], result: "i32" },
  mkdir: { parameters: ["buffer", "u32"], result: "i32" },
  execv: { parameters: ["buffer", "buffer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const { sym, errno } = bindLibc(SYMBOLS);

/** A failed system call. */
export class MachineCallError extends Error {
  readonly call: string;
  readonly errno: number;
  /** e.g. `EBUSY`; `E<n>` for values without a name here. */
  readonly code: string;

  constructor(call: string, errno: number) {
    const code = errnoName(errno);
    super(`${call}() failed: ${code}`);
    this.name = "MachineCallError";
    this.call = call;
    this.errno = errno;
    this.code = code;
  }
}

function check(call: string, rc: number): number {
  if (rc === -1) throw new MachineCallError(call, errno());
  return rc;
}

const encoder = new TextEncoder();

/** A NUL-terminated C string. */
function cstr(s: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`${s}\0`) as Uint8Array<ArrayBuffer>;
}

/** mount(2) flags the daemon uses (linux/fs.h). */
export const MS = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  REMOUNT: 32,
  BIND: 4096,
  REC: 16384,
} as const;

/** umount2(2) flags (sys/mount.h). */
export const MNT = { FORCE: 1, DETACH: 2 } as const;

/** reboot(2) commands (linux/reboot.h). */
export const RB = {
  AUTOBOOT: 0x01234567,
  HALT_SYSTEM: 0xcdef0123 | 0,
  POWER_OFF: 0x4321fedc,
  ENABLE_CAD: 0x89abcdef | 0,
  DISABLE_CAD: 0,
} as const;

/** mount(2). */
export function mount(
  source: string,
  target: string,
  fstype: string,
  flags: number,
  data: string | null,
): void {
  check(
    "mount",
    sym().mount(
      cstr(source),
      cstr(target),
      cstr(fstype),
      BigInt(flags),
      data === null ? null : cstr(data),
    ),
  );
}

/** umount2(2). */
export function umount2(target: string, flags: number): void {
  check("umount2", sym().umount2(cstr(target), flags));
}

/** sync(2). */
export function sync(): void {
  sym().sync();
}

/** reboot(2); returns only when the kernel refused (or for the CAD commands). */
export function reboot(command: number): void {
  check("reboot", sym().reboot(command));
}

/** kill(2); ESRCH (nothing to signal) is not an error. */
export function kill(pid: number, signal: number): void {
  if (sym().kill(pid, signal) === -1) {
    const e = errno();
    if (e !== 3) throw new MachineCallError("kill", e);
  }
}

const O_RDWR = 2;
const O_NOCTTY = 0o400;

/** Opens `path` read-write (never as controlling terminal) and makes it fds 0, 1 and 2. */
export function attachConsole(path: string): void {
  const fd = check("open", sym().open(cstr(path), O_RDWR | O_NOCTTY, 0));
  try {
    for (const target of [0, 1, 2]) if (fd !== target) check("dup2", sym().dup2(fd, target));
  } finally {
    if (fd > 2) sym().close(fd);
  }
}

/** setsid(2); EPERM (already a session leader, as PID 1 is) is not an error. */
export function setsid(): void {
  if (sym().setsid() === -1) {
    const e = errno();
    if (e !== 1) throw new MachineCallError("setsid", e);
  }
}

/**
 * chdir(2). Unlike Deno.chdir it is one call on the calling thread; the working directory is
 * per process, so every thread follows.
 */
export function chdir(path: string): void {
  check("chdir", sym().chdir(cstr(path)));
}

/** mkdir(2); an existing path is not an error. */
export function mkdir(path: string, mode: number): void {
  if (sym().mkdir(cstr(path), mode) === -1) {
    const e = errno();
    if (e !== 17) throw new MachineCallError("mkdir", e);
  }
}

const O_WRONLY = 1;
const O_CLOEXEC = 0o2000000;

/**
 * Opens the kernel log for writing.
 *
 * @returns a function writing one record (one line) per call; failed writes are dropped
 * @throws {MachineCallError} when `/dev/kmsg` cannot be opened
 */
export function openKernelLog(path = "/dev/kmsg"): (line: string) => void {
  const fd = check("open", sym().open(cstr(path), O_WRONLY | O_CLOEXEC, 0));
  return (line) => {
    const bytes = encoder.encode(line) as Uint8Array<ArrayBuffer>;
    sym().write(fd, bytes, BigInt(bytes.length));
  };
}

/**
 * execv(3): replaces this process's image, keeping its pid (PID 1 stays PID 1).
 *
 * @returns never when it worked
 * @throws {MachineCallError} when the kernel refused
 */
export function execv(path: string, argv: readonly string[]): never {
  const strings = argv.map(cstr);
  const table = new BigUint64Array(strings.length + 1);
  strings.forEach((s, i) => {
    table[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(s)));
  });
  sym().execv(cstr(path), table);
  throw new MachineCallError("execv", errno());
}

/**
 * The reboot(2) commands by the names the shutdown tools use (see docs/shutdown.md). In a child
 * PID namespace `restart` ends the namespace with its init killed by SIGHUP, `halt` and
 * `poweroff` by SIGINT.
 */
export const REBOOT_COMMANDS = {
  restart: RB.AUTOBOOT,
  halt: RB.HALT_SYSTEM,
  poweroff: RB.POWER_OFF,
  /** Ctrl-Alt-Del reboots at once. */
  cadOn: RB.ENABLE_CAD,
  /** Ctrl-Alt-Del sends SIGINT to PID 1 instead. */
  cadOff: RB.DISABLE_CAD,
} as const;

/** A name of {@linkcode REBOOT_COMMANDS}. */
export type RebootCommand = keyof typeof REBOOT_COMMANDS;

/** reboot(2) refused (EPERM without CAP_SYS_BOOT, EINVAL…); `errno` says why. */
export class RebootError extends MachineCallError {
  /** What was asked. */
  readonly command: RebootCommand;

  /**
   * @param command what was asked
   * @param errno the C errno value
   */
  constructor(command: RebootCommand, errno: number) {
    super("reboot", errno);
    this.name = "RebootError";
    this.command = command;
  }
}

/**
 * reboot(2) by name. On success with `restart`, `halt` or `poweroff` it does not return (in a
 * child PID namespace the caller dies with the namespace).
 *
 * @param command what to do
 * @throws {RebootError} when the kernel refuses
 */
export function rebootByName(command: RebootCommand): void {
  if (sym().reboot(REBOOT_COMMANDS[command]) === -1) throw new RebootError(command, errno());
}
