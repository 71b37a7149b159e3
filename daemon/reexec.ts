/**
 * The stateful re-exec (docs/reexec.md): `telinit u`, and SIGTERM to PID 1. The daemon writes its
 * state as plain data to a memfd, keeps that fd and its jobs' log pipes open across execve(2),
 * and executes its own command line again under the same pid. The new image finds the fd in
 * `DAYBREAK_RESTORE_FD`, restores the engine, adopts the running pids (still its children: the
 * process is the same), re-arms the timers with what they had left, drains the log pipes again,
 * and takes up its listening control socket, kept open too: a client that connects during the
 * exec waits in its backlog (one connected across the exec sees its connection close and
 * retries). No start-up event is emitted again; the configuration is read from disk
 * again and applied as a reload would (a removed job's running instances go on until they stop).
 *
 * Since the command line names the program files, not their contents, re-executing after
 * replacing daybreak's files runs the new version: the way to upgrade it under a running system.
 *
 * @module
 */

import { Engine, type EngineOptions } from "./engine/engine.ts";
import type { EngineSnapshot } from "./engine/snapshot.ts";
import type { EngineDriver } from "./engine_driver.ts";
import type { Clock, ProcessSpawner } from "./ports.ts";
import { stringifyDeep } from "./engine/plain_data.ts";
import { execve, memfdWith, ownCommandLine, readWhole } from "../sys/exec.ts";
import { closeQuietly } from "../sys/libc.ts";

/** The variable that names the state's fd in the new image. */
export const RESTORE_FD_VARIABLE = "DAYBREAK_RESTORE_FD";

/** The format's version. */
export const REEXEC_STATE_VERSION = 1;

/** A job process kept across the exec. */
export interface KeptProcess {
  readonly pid: number;
  /** Read ends of its `console log` pipes, kept open. */
  readonly logFds: readonly number[];
  readonly logPath: string | null;
}

/** Everything the next image needs, as plain data. */
export interface ReexecState {
  readonly version: typeof REEXEC_STATE_VERSION;
  readonly engine: EngineSnapshot;
  /** Armed timers and the ms each had left. */
  readonly timers: readonly { readonly id: string; readonly ms: number }[];
  readonly processes: readonly KeptProcess[];
  /** The old clock port's time and the wall clock when the state was taken. */
  readonly clockMs: number;
  readonly wallMs: number;
  /** The daemon's log priority (`initctl log-priority`), kept. */
  readonly logPriority: string;
  /** The listening control socket, kept open; absent when there was none to keep. */
  readonly socketFd?: number;
  /** The command FIFO, kept open (docs/pid1.md#the-command-fifo); absent when there was none. */
  readonly fifoFd?: number;
}

/**
 * The state of a running daemon; keeps its log pipes (and `socketFd`, the listening control
 * socket whose close-on-exec the caller cleared) open across an exec (undo with
 * `spawner.keepAcrossExec(false)` if the exec fails).
 */
export function captureState(
  driver: EngineDriver,
  spawner: ProcessSpawner,
  clock: Clock,
  logPriority: string,
  socketFd?: number,
  fifoFd?: number,
): ReexecState {
  const engine = driver.engine.snapshot();
  const pipes = spawner.keepAcrossExec?.(true) ?? [];
  const pids = [...new Set(engine.pidOwner.map(([pid]) => pid))];
  const processes = pids.map((pid): KeptProcess => {
    const own = pipes.filter((p) => p.pid === pid);
    return { pid, logFds: own.map((p) => p.fd), logPath: own[0]?.path ?? null };
  });
  return {
    version: REEXEC_STATE_VERSION,
    engine,
    timers: driver.timersLeft(),
    processes,
    clockMs: clock.now(),
    wallMs: Date.now(),
    logPriority,
    ...(socketFd === undefined ? {} : { socketFd }),
    ...(fifoFd === undefined ? {} : { fifoFd }),
  };
}

/** How the daemon replaces its image: execve(2) through `sys/exec.ts`, or a fake in tests. */
export interface ExecPort {
  exec(path: string, argv: readonly string[], env: readonly string[]): never;
  commandLine(): string[];
  execPath(): string;
  env(): Record<string, string>;
}

/** The real one. */
export const realExec: ExecPort = {
  exec: execve,
  commandLine: ownCommandLine,
  execPath: () => Deno.execPath(),
  env: () => Deno.env.toObject(),
};

/**
 * Writes `state` to a memfd kept across the exec and executes the daemon's own command line
 * again. The program is the command line's first word when it is a path (a replaced binary
 * is then the new one), else this process's executable.
 *
 * @returns never when it worked
 * @throws {Error} when the state cannot be written or the exec is refused; the fd is closed
 */
export function execWithState(state: ReexecState, port: ExecPort = realExec): never {
  const argv = port.commandLine();
  if (argv.length === 0) throw new Error("cannot read the daemon's own command line");
  const program = argv[0]!.startsWith("/") ? argv[0]! : port.execPath();
  const fd = memfdWith("daybreak-state", new TextEncoder().encode(stringifyDeep(state)));
  const env = Object.entries({ ...port.env(), [RESTORE_FD_VARIABLE]: String(fd) })
    .map(([k, v]) => `${k}=${v}`);
  try {
    return port.exec(program, argv, env);
  } catch (e) {
    closeQuietly(fd);
    throw e;
  }
}

/** Where the new image's state comes from. */
export interface RestoreSource {
  get(name: string): string | undefined;
  delete(name: string): void;
  read(fd: number): Uint8Array;
  close(fd: number): void;
}

const realSource: RestoreSource = {
  get: (n) => Deno.env.get(n),
  delete: (n) => Deno.env.delete(n),
  read: readWhole,
  close: closeQuietly,
};

/**
 * The state handed over by the last image, or null on a fresh start. The variable is removed
 * (jobs never see it) and the fd closed.
 *
 * @throws {Error} when there is a state but it cannot be read
 */
export function takeRestoreState(source: RestoreSource = realSource): ReexecState | null {
  const text = source.get(RESTORE_FD_VARIABLE);
  if (text === undefined) return null;
  source.delete(RESTORE_FD_VARIABLE);
  const fd = Number(text);
  if (!Number.isInteger(fd) || fd < 0) throw new Error(`bad ${RESTORE_FD_VARIABLE}: ${text}`);
  try {
    const state = JSON.parse(new TextDecoder().decode(source.read(fd))) as ReexecState;
    if (state.version !== REEXEC_STATE_VERSION) {
      throw new Error(`state version ${String(state.version)}, expected ${REEXEC_STATE_VERSION}`);
    }
    return state;
  } finally {
    source.close(fd);
  }
}

/** The ms the new clock port is ahead of the old one (wall time elapsed during the exec). */
function clockShift(state: ReexecState, clock: Clock): { shift: number; elapsed: number } {
  const elapsed = Math.max(0, Date.now() - state.wallMs);
  return { shift: clock.now() - (state.clockMs + elapsed), elapsed };
}

/** The engine of the state, with the new image's options and clock. */
export function restoreEngine(state: ReexecState, options: EngineOptions, clock: Clock): Engine {
  return Engine.restore(state.engine, options, { clockShiftMs: clockShift(state, clock).shift });
}

/**
 * Takes the running processes and timers over: every pid adopted (its exit fed to the engine
 * once it ends, its log drained again), every timer armed with what it had left.
 */
export function resumeDriver(driver: EngineDriver, state: ReexecState, clock: Clock): void {
  const { elapsed } = clockShift(state, clock);
  for (const p of state.processes) {
    const [logFd, ...moreLogFds] = p.logFds;
    driver.adopt(
      p.pid,
      logFd === undefined || p.logPath === null ? {} : { logFd, moreLogFds, logPath: p.logPath },
    );
  }
  driver.apply(
    state.timers.map((t) => ({ type: "armTimer", id: t.id, ms: Math.max(0, t.ms - elapsed) })),
  );
}
