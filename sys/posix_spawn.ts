/**
 * `posix_spawnp(3)` through FFI, for a process whose signal state must be exactly chosen.
 *
 * Deno's own spawn (glibc posix_spawn underneath) leaves glibc's internal signals 32 and 33
 * ignored in the child and offers no way to set the child's blocked mask or process group. A
 * container's main process must start with an empty blocked mask and default dispositions
 * (see docs/container.md), so it is spawned here, with `POSIX_SPAWN_SETSIGMASK` and
 * `POSIX_SPAWN_SETSIGDEF`, and waited for by pid with {@linkcode waitpidNoHang} (Deno's
 * child-status machinery does not know it).
 *
 * glibc's posix_spawnp uses `CLONE_VFORK` and reports exec failures (ENOENT, EACCES, …) as its
 * return value, so "command not found" is known synchronously.
 *
 * Sizes are glibc x86_64's: `sigset_t` 128 bytes, `posix_spawnattr_t` 336,
 * `posix_spawn_file_actions_t` 80 (checked against `sizeof` in C).
 *
 * @module
 */

import { bindLibc } from "./libc.ts";

const SYMBOLS = {
  posix_spawnp: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  posix_spawnattr_init: { parameters: ["buffer"], result: "i32" },
  posix_spawnattr_destroy: { parameters: ["buffer"], result: "i32" },
  posix_spawnattr_setflags: { parameters: ["buffer", "i16"], result: "i32" },
  posix_spawnattr_setsigmask: { parameters: ["buffer", "buffer"], result: "i32" },
  posix_spawnattr_setsigdefault: { parameters: ["buffer", "buffer"], result: "i32" },
  posix_spawnattr_setpgroup: { parameters: ["buffer", "i32"], result: "i32" },
  posix_spawn_file_actions_init: { parameters: ["buffer"], result: "i32" },
  posix_spawn_file_actions_destroy: { parameters: ["buffer"], result: "i32" },
  posix_spawn_file_actions_addtcsetpgrp_np: { parameters: ["buffer", "i32"], result: "i32" },
  posix_spawn_file_actions_adddup2: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  posix_spawn_file_actions_addopen: {
    parameters: ["buffer", "i32", "buffer", "i32", "u32"],
    result: "i32",
  },
  posix_spawn_file_actions_addclose: { parameters: ["buffer", "i32"], result: "i32" },
  posix_spawn_file_actions_addchdir_np: { parameters: ["buffer", "buffer"], result: "i32" },
  // The same call on one of Deno's blocking threads: the JS thread goes on while it runs.
  posix_spawnp_nonblocking: {
    name: "posix_spawnp",
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  kill: { parameters: ["i32", "i32"], result: "i32" },
  pthread_sigmask: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  isatty: { parameters: ["i32"], result: "i32" },
  tcgetpgrp: { parameters: ["i32"], result: "i32" },
  getpgrp: { parameters: [], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const { sym, errno } = bindLibc(SYMBOLS);

/** `sizeof(sigset_t)` on glibc: 1024 signal bits. */
export const SIGSET_BYTES = 128;
const ATTR_BYTES = 336;
const FILE_ACTIONS_BYTES = 80;

const POSIX_SPAWN_SETPGROUP = 0x02;
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;

/** The highest signal number the kernel knows (SIGRTMAX). */
export const SIGNAL_MAX = 64;

/** Errno values the caller distinguishes. */
export const ENOENT = 2;
export const EACCES = 13;
export const ECHILD = 10;
export const ESRCH = 3;

/** A failed call with its errno (errors travel by code, not by message). */
export class SpawnSysError extends Error {
  readonly call: string;
  readonly errno: number;
  constructor(call: string, err: number) {
    super(`${call}() failed with errno ${err}`);
    this.name = "SpawnSysError";
    this.call = call;
    this.errno = err;
  }
}

/** A `sigset_t` holding `signals` (signal N is bit N−1, little-endian 64-bit words). */
export function sigset(signals: Iterable<number>): Uint8Array {
  const set = new Uint8Array(SIGSET_BYTES);
  for (const s of signals) {
    if (!Number.isInteger(s) || s < 1 || s > SIGNAL_MAX) throw new RangeError(`bad signal ${s}`);
    set[(s - 1) >> 3]! |= 1 << ((s - 1) & 7);
  }
  return set;
}

/** The signals in a `sigset_t`, or in a `/proc/PID/status` `SigXxx:` hex mask. */
export function signalsOf(set: Uint8Array | string): number[] {
  const out: number[] = [];
  if (typeof set === "string") {
    const mask = BigInt(`0x${set.trim() || "0"}`);
    for (let s = 1; s <= SIGNAL_MAX; s++) if ((mask >> BigInt(s - 1)) & 1n) out.push(s);
    return out;
  }
  for (let s = 1; s <= SIGNAL_MAX; s++) if (set[(s - 1) >> 3]! & (1 << ((s - 1) & 7))) out.push(s);
  return out;
}

const encoder = new TextEncoder();
const cString = (s: string): Uint8Array => encoder.encode(`${s}\0`);

/** A NULL-terminated `char *[]`; the strings must stay referenced while the array is used. */
function cStringArray(items: readonly string[]): { array: BigUint64Array; keep: Uint8Array[] } {
  const keep = items.map(cString);
  const array = new BigUint64Array(items.length + 1);
  keep.forEach((b, i) => {
    array[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b)));
  });
  return { array, keep };
}

/** What to spawn and with which signal state. */
export interface PosixSpawnRequest {
  /** Looked up in `PATH` (of `env`, as execvp does) when it has no slash. */
  readonly file: string;
  /** `argv`, including `argv[0]`. */
  readonly argv: readonly string[];
  /** `NAME=value` strings. */
  readonly env: readonly string[];
  /** Blocked in the child (usually none). */
  readonly sigmask: readonly number[];
  /** Reset to `SIG_DFL` in the child. */
  readonly sigdefault: readonly number[];
  /** `setpgid(0, pgroup)` in the child (0: a new group led by the child); null = inherit. */
  readonly pgroup?: number | null;
  /** Make the child's group the foreground group of this terminal fd (needs `pgroup`). */
  readonly foregroundFd?: number | null;
  /** `setsid()` in the child (exclusive with `pgroup`). */
  readonly setsid?: boolean;
  /** Descriptor set-up in the child, in order, before the exec. */
  readonly fileActions?: readonly FileAction[];
}

/**
 * One `posix_spawn_file_actions_add*` step: `dup2(fd, to)` (which clears close-on-exec on
 * `to`), `open(path) → fd`, `close(fd)`, or `chdir(path)` (glibc's `addchdir_np`).
 */
export type FileAction =
  | { readonly dup2: number; readonly to: number }
  | { readonly open: string; readonly fd: number; readonly flags: number; readonly mode?: number }
  | { readonly close: number }
  | { readonly chdir: string };

/** A spawn prepared: the buffers libc reads, kept referenced until the call has returned. */
interface Prepared {
  readonly attr: Uint8Array;
  readonly actions: Uint8Array;
  readonly args: readonly [
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    BigUint64Array,
    BigUint64Array,
  ];
  readonly keep: readonly unknown[];
}

function prepare(req: PosixSpawnRequest): Prepared {
  const s = sym();
  const attr = new Uint8Array(ATTR_BYTES);
  const actions = new Uint8Array(FILE_ACTIONS_BYTES);
  let rc = s.posix_spawnattr_init(attr);
  if (rc !== 0) throw new SpawnSysError("posix_spawnattr_init", rc);
  rc = s.posix_spawn_file_actions_init(actions);
  if (rc !== 0) {
    s.posix_spawnattr_destroy(attr);
    throw new SpawnSysError("posix_spawn_file_actions_init", rc);
  }
  try {
    let flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    const step = (call: string, code: number) => {
      if (code !== 0) throw new SpawnSysError(call, code);
    };
    step("posix_spawnattr_setsigmask", s.posix_spawnattr_setsigmask(attr, sigset(req.sigmask)));
    step(
      "posix_spawnattr_setsigdefault",
      s.posix_spawnattr_setsigdefault(attr, sigset(req.sigdefault)),
    );
    if (req.setsid === true) {
      flags |= POSIX_SPAWN_SETSID;
    } else if (req.pgroup !== undefined && req.pgroup !== null) {
      flags |= POSIX_SPAWN_SETPGROUP;
      step("posix_spawnattr_setpgroup", s.posix_spawnattr_setpgroup(attr, req.pgroup));
      if (req.foregroundFd !== undefined && req.foregroundFd !== null) {
        step(
          "posix_spawn_file_actions_addtcsetpgrp_np",
          s.posix_spawn_file_actions_addtcsetpgrp_np(actions, req.foregroundFd),
        );
      }
    }
    // glibc copies the path strings into the actions: nothing to keep alive for them.
    for (const a of req.fileActions ?? []) {
      if ("dup2" in a) {
        step(
          "posix_spawn_file_actions_adddup2",
          s.posix_spawn_file_actions_adddup2(actions, a.dup2, a.to),
        );
      } else if ("open" in a) {
        step(
          "posix_spawn_file_actions_addopen",
          s.posix_spawn_file_actions_addopen(actions, a.fd, cString(a.open), a.flags, a.mode ?? 0),
        );
      } else if ("close" in a) {
        step(
          "posix_spawn_file_actions_addclose",
          s.posix_spawn_file_actions_addclose(actions, a.close),
        );
      } else {
        step(
          "posix_spawn_file_actions_addchdir_np",
          s.posix_spawn_file_actions_addchdir_np(actions, cString(a.chdir)),
        );
      }
    }
    step("posix_spawnattr_setflags", s.posix_spawnattr_setflags(attr, flags));
    const argv = cStringArray(req.argv);
    const envp = cStringArray(req.env);
    const pid = new Int32Array(1);
    const file = cString(req.file);
    return {
      attr,
      actions,
      args: [new Uint8Array(pid.buffer), file, actions, attr, argv.array, envp.array],
      keep: [argv.keep, envp.keep, pid],
    };
  } catch (e) {
    release(attr, actions);
    throw e;
  }
}

function release(attr: Uint8Array, actions: Uint8Array): void {
  const s = sym();
  s.posix_spawn_file_actions_destroy(actions);
  s.posix_spawnattr_destroy(attr);
}

function finish(p: Prepared, rc: number): number {
  release(p.attr, p.actions);
  // The strings were referenced by `p.keep` until here (the arrays only hold addresses).
  void p.keep.length;
  if (rc !== 0) throw new SpawnSysError("posix_spawnp", rc);
  return new Int32Array(p.args[0].buffer)[0]!;
}

/**
 * Spawns a process with `posix_spawnp`; returns its pid. The calling thread waits until the
 * child has exec'd (glibc uses `CLONE_VFORK`).
 *
 * @throws {SpawnSysError} `posix_spawnp` with the exec errno (ENOENT, EACCES, ENOEXEC, …).
 */
export function posixSpawnp(req: PosixSpawnRequest): number {
  const p = prepare(req);
  return finish(p, sym().posix_spawnp(...p.args));
}

/**
 * {@linkcode posixSpawnp} on one of Deno's blocking threads: the JS thread goes on while the
 * child is created and exec'd, so several spawns overlap (and overlap with the daemon's work).
 *
 * @throws {SpawnSysError} (as a rejection) like {@linkcode posixSpawnp}.
 */
export async function posixSpawnpAsync(req: PosixSpawnRequest): Promise<number> {
  const p = prepare(req);
  let rc: number;
  try {
    rc = await sym().posix_spawnp_nonblocking(...p.args);
  } catch (e) {
    release(p.attr, p.actions);
    throw e;
  }
  return finish(p, rc);
}

/** A decoded wait status: exit code, or the signal that ended the process. */
export type WaitStatus = { readonly code: number } | { readonly signal: number };

const WNOHANG = 1;

/**
 * `waitpid(pid, &status, WNOHANG)`: null while the process runs (or only stopped/continued).
 *
 * @throws {SpawnSysError} `ECHILD` when `pid` is not (or no longer) a child.
 */
export function waitpidNoHang(pid: number): WaitStatus | null {
  if (pid <= 0) throw new RangeError(`only a specific pid may be waited for, not ${pid}`);
  const st = new Int32Array(1);
  const got = sym().waitpid(pid, st, WNOHANG);
  if (got === -1) throw new SpawnSysError("waitpid", errno());
  if (got === 0) return null;
  const raw = st[0]!;
  const low = raw & 0x7f;
  if (low === 0) return { code: (raw >> 8) & 0xff };
  if (low !== 0x7f) return { signal: low };
  return null;
}

/** `kill(pid, sig)`; returns the errno, 0 on success (ESRCH is routine here). */
export function sendSignal(pid: number, sig: number): number {
  return sym().kill(pid, sig) === 0 ? 0 : errno();
}

const SIG_SETMASK = 2;

/**
 * Replaces the calling (JS) thread's blocked mask; returns the previous one. Signals sent to
 * the process reach a thread that does not block them, so unblocking here is enough for Deno's
 * handlers to run even when init was started with those signals blocked.
 */
export function setThreadSignalMask(signals: readonly number[]): number[] {
  const old = new Uint8Array(SIGSET_BYTES);
  const rc = sym().pthread_sigmask(SIG_SETMASK, sigset(signals), old);
  if (rc !== 0) throw new SpawnSysError("pthread_sigmask", rc);
  return signalsOf(old);
}

/** The foreground process group of terminal `fd` when this process's group holds it, else null. */
export function ownedTerminal(fd: number): number | null {
  const s = sym();
  if (s.isatty(fd) !== 1) return null;
  const fg = s.tcgetpgrp(fd);
  return fg !== -1 && fg === s.getpgrp() ? fg : null;
}
