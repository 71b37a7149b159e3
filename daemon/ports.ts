/**
 * The small interfaces through which the daemon causes side effects. The engine talks only to
 * these; `daemon/supervisor/` implements them for real and `tests/fakes/` fakes them.
 *
 * @module
 */

import type { SandboxSpec } from "../parser/extension_stanzas.ts";
import type { ConsoleMode, ExpectMode, JobClassSpec, ProcessName } from "../parser/types.ts";

export type { SandboxSpec };

/** How a process ended: an exit status, or the number of the signal that killed it. */
export type ExitStatus = { readonly code: number } | { readonly signal: number };

/** Everything needed to start one process of one job instance (spec §3.2, §3.6). */
export interface SpawnRequest {
  /** Job name (spec §1.3), e.g. `net/apache`; names the log file. */
  readonly job: string;
  /** Instance name; `""` for single-instance jobs. */
  readonly instance: string;
  readonly process: ProcessName;
  /** true for a `script` block, false for an `exec` command line. */
  readonly script: boolean;
  /** The command line or the script text. */
  readonly command: string;
  /** The full environment as `KEY=VALUE`; nothing is inherited from the daemon. */
  readonly env: readonly string[];
  /** The effective console mode (the daemon's default already applied). */
  readonly console: ConsoleMode;
  /** Directory of `console log` files; `null` disables logging (`log` then acts as `none`). */
  readonly logDir: string | null;
  readonly umask: number;
  readonly nice: number | null;
  readonly oomScoreAdj: number | null;
  readonly limits: JobClassSpec["limits"];
  readonly chroot: string | null;
  /** Working directory (inside `chroot` if set); `null` inherits the daemon's (`/` in system mode). */
  readonly chdir: string | null;
  readonly setuid: string | null;
  readonly setgid: string | null;
  /** Only meaningful for the main process; other processes pass `"none"`. */
  readonly expect: ExpectMode;
  /** The job's sandbox stanzas; absent means none (the `security` process ignores them). */
  readonly sandbox?: SandboxSpec;
  /**
   * The AppArmor profile to start confined in (`apparmor switch`, already expanded); set for the
   * main process only. Absent or `null` means none.
   */
  readonly apparmorSwitch?: string | null;
}

/**
 * A process whose pid the job supervises after `expect` settled (spec §5.8): the forked daemon
 * for `expect fork`/`daemon`, or the spawned process itself.
 */
export interface TrackedProcess {
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
}

/** A started process. */
export interface SpawnedProcess {
  readonly pid: number;
  /**
   * Resolves when the spawned process ends (and, for `console log`, once its output has been
   * written). Never rejects.
   */
  readonly exited: Promise<ExitStatus>;
  /**
   * `null` for `expect none`. Otherwise resolves once the supervised pid is known: for `stop`
   * when the process raised SIGSTOP (it is then sent SIGCONT); for `fork`/`daemon` with the
   * surviving forked process, or with the spawned process itself when it never forked within the
   * settle time. Resolves `null` when the process ended leaving nothing behind: the job's main
   * process is then over, with the status of `exited`. Never rejects, never waits forever.
   */
  readonly tracked: Promise<TrackedProcess | null> | null;
}

/**
 * A spawn that failed before the program ran. `reason` is Upstart's text, logged as
 * `Failed to spawn JOB PROCESS process: REASON` (spec §3.6).
 */
export class SpawnError extends Error {
  /** e.g. `unable to execute: No such file or directory`, `unable to find setuid user`. */
  readonly reason: string;

  constructor(reason: string, options?: ErrorOptions) {
    super(reason, options);
    this.name = "SpawnError";
    this.reason = reason;
  }
}

/** Starts and signals job processes. */
export interface ProcessSpawner {
  /** @throws {SpawnError} when the process could not be started. */
  spawn(req: SpawnRequest): SpawnedProcess;
  /**
   * Sends `signal` to `pid`, or to its whole process group when `group` is set (spec §5.9).
   * A process that is already gone is not an error.
   */
  kill(pid: number, signal: number, opts: { readonly group: boolean }): void;
}

/** An opaque timer handle. */
export type TimerHandle = number;

/** Monotonic time and timers. */
export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  setTimer(ms: number, fn: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** One directory entry, as `lstat` sees it (symbolic links are not followed). */
export interface ConfDirEntry {
  readonly name: string;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
}

/** The file-system port of the configuration loader (`daemon/conf/`). */
export interface ConfFileSystem {
  /** Entries of a directory; `null` when it does not exist. */
  readDir(path: string): Promise<ConfDirEntry[] | null>;
  /** Text of a file; `null` when it does not exist. Other failures throw. */
  readTextFile(path: string): Promise<string | null>;
}
