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

/**
 * `file`, `argv` and `envp` as libc reads them, in two allocations per spawn: every string in one
 * buffer, every pointer in one array (`argv`'s NULL-terminated list, then `envp`'s), the
 * addresses computed from the buffer's one address. One `UnsafePointer.of` per spawn instead of
 * one per string (a 30-variable environment made 30), and no BigInt per string. The buffers
 * belong to this one spawn: concurrent spawns never share them.
 */
interface CallStrings {
  /** Every string, NUL-terminated: `file` first. Must stay referenced while libc reads it. */
  readonly strings: Uint8Array;
  readonly file: Uint8Array;
  readonly argv: Uint32Array;
  readonly envp: Uint32Array;
}

function callStrings(file: string, argv: readonly string[], env: readonly string[]): CallStrings {
  let size = file.length * 3 + 1;
  for (const a of argv) size += a.length * 3 + 1;
  for (const e of env) size += e.length * 3 + 1;
  const strings = new Uint8Array(size);
  // Pointers as two 32-bit halves (little-endian): no BigInt per string.
  const ptrs = new Uint32Array((argv.length + 1 + env.length + 1) * 2);
  const base = Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(strings)));
  let off = 0;
  const put = (text: string): number => {
    const at = off;
    off += encoder.encodeInto(text, strings.subarray(off)).written;
    off++; // the NUL: the buffer is zeroed
    return at;
  };
  put(file);
  const fileEnd = off;
  let slot = 0;
  const point = (at: number) => {
    const address = base + at;
    ptrs[slot++] = address % 0x1_0000_0000;
    ptrs[slot++] = Math.floor(address / 0x1_0000_0000);
  };
  for (const a of argv) point(put(a));
  slot += 2; // argv's NULL
  const envStart = slot;
  for (const e of env) point(put(e));
  return {
    strings,
    file: strings.subarray(0, fileEnd),
    argv: ptrs.subarray(0, envStart),
    envp: ptrs.subarray(envStart),
  };
}

/**
 * Attributes by signal state: every job spawn asks for the same one (a new session, nothing
 * blocked, every signal at its default), so it is made once and shared, glibc's posix_spawn only
 * reading it. Saves five FFI calls and two `sigset_t`s per spawn. Bounded: a request with an
 * unusual state beyond {@linkcode ATTR_CACHE_LIMIT} gets an attribute object of its own.
 */
const attrCache = new Map<string, Uint8Array>();
const ATTR_CACHE_LIMIT = 16;
/** The key text of a signal list, by the list's identity (callers pass constant lists). */
const signalKeys = new WeakMap<readonly number[], string>();

function signalKey(list: readonly number[]): string {
  let key = signalKeys.get(list);
  if (key === undefined) {
    key = list.join(",");
    signalKeys.set(list, key);
  }
  return key;
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
  /** The attribute object; a cached one is never destroyed. */
  readonly attr: Uint8Array;
  readonly ownAttr: boolean;
  readonly actions: Uint8Array;
  readonly pid: Int32Array;
  readonly args: readonly [
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint32Array,
    Uint32Array,
  ];
  readonly keep: CallStrings;
}

/** `open` paths as C strings (glibc copies them; `/dev/null` is every job's). */
const openPaths = new Map<string, Uint8Array>();

function openPath(path: string): Uint8Array {
  let c = openPaths.get(path);
  if (c === undefined) {
    c = cString(path);
    if (openPaths.size < 16) openPaths.set(path, c);
  }
  return c;
}

function step(call: string, code: number): void {
  if (code !== 0) throw new SpawnSysError(call, code);
}

/** The attribute object for `req`'s signal state and group (shared when cached). */
function attrFor(req: PosixSpawnRequest): { attr: Uint8Array; own: boolean } {
  const pgroup = req.setsid === true ? null : req.pgroup ?? null;
  const key = `${req.setsid === true ? "s" : pgroup === null ? "-" : `g${pgroup}`};${
    signalKey(req.sigmask)
  };${signalKey(req.sigdefault)}`;
  const cached = attrCache.get(key);
  if (cached !== undefined) return { attr: cached, own: false };
  const s = sym();
  const attr = new Uint8Array(ATTR_BYTES);
  step("posix_spawnattr_init", s.posix_spawnattr_init(attr));
  try {
    let flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    step("posix_spawnattr_setsigmask", s.posix_spawnattr_setsigmask(attr, sigset(req.sigmask)));
    step(
      "posix_spawnattr_setsigdefault",
      s.posix_spawnattr_setsigdefault(attr, sigset(req.sigdefault)),
    );
    if (req.setsid === true) {
      flags |= POSIX_SPAWN_SETSID;
    } else if (pgroup !== null) {
      flags |= POSIX_SPAWN_SETPGROUP;
      step("posix_spawnattr_setpgroup", s.posix_spawnattr_setpgroup(attr, pgroup));
    }
    step("posix_spawnattr_setflags", s.posix_spawnattr_setflags(attr, flags));
  } catch (e) {
    s.posix_spawnattr_destroy(attr);
    throw e;
  }
  if (attrCache.size < ATTR_CACHE_LIMIT) {
    attrCache.set(key, attr);
    return { attr, own: false };
  }
  return { attr, own: true };
}

function prepare(req: PosixSpawnRequest): Prepared {
  const s = sym();
  const { attr, own } = attrFor(req);
  const actions = new Uint8Array(FILE_ACTIONS_BYTES);
  const rc = s.posix_spawn_file_actions_init(actions);
  if (rc !== 0) {
    if (own) s.posix_spawnattr_destroy(attr);
    throw new SpawnSysError("posix_spawn_file_actions_init", rc);
  }
  try {
    if (
      req.setsid !== true && req.pgroup !== undefined && req.pgroup !== null &&
      req.foregroundFd !== undefined && req.foregroundFd !== null
    ) {
      step(
        "posix_spawn_file_actions_addtcsetpgrp_np",
        s.posix_spawn_file_actions_addtcsetpgrp_np(actions, req.foregroundFd),
      );
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
          s.posix_spawn_file_actions_addopen(actions, a.fd, openPath(a.open), a.flags, a.mode ?? 0),
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
    const keep = callStrings(req.file, req.argv, req.env);
    const pid = new Int32Array(1);
    return {
      attr,
      ownAttr: own,
      actions,
      pid,
      args: [new Uint8Array(pid.buffer), keep.file, actions, attr, keep.argv, keep.envp],
      keep,
    };
  } catch (e) {
    s.posix_spawn_file_actions_destroy(actions);
    if (own) s.posix_spawnattr_destroy(attr);
    throw e;
  }
}

function release(p: Prepared): void {
  const s = sym();
  s.posix_spawn_file_actions_destroy(p.actions);
  if (p.ownAttr) s.posix_spawnattr_destroy(p.attr);
}

function finish(p: Prepared, rc: number): number {
  release(p);
  // The strings were referenced by `p.keep` until here (the arrays only hold addresses).
  void p.keep.strings.length;
  if (rc !== 0) throw new SpawnSysError("posix_spawnp", rc);
  return p.pid[0]!;
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
    release(p);
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
