/**
 * Every port: the small interfaces through which the daemon causes side effects. The engine
 * driver and the daemon's wiring talk only to these; real implementations sit beside them
 * (`daemon/supervisor/fd_spawner.ts`, `daemon/system_clock.ts`, `daemon/deno_signals.ts`,
 * `daemon/real_machine.ts`, `daemon/deno_host.ts`, `daemon/conf/deno_conf_fs.ts`,
 * `security/apparmor.ts`) and `tests/fakes/` implements the same interfaces for tests.
 *
 * @module
 */

import type { PollLoop } from "./supervisor/poll_loop.ts";
import type { CommandFifoPort } from "./rpc/command_fifo.ts";
import type { SandboxSpec } from "../parser/extension_stanzas.ts";
import type { ConsoleMode, ExpectMode, JobClassSpec, ProcessName } from "../parser/types.ts";
import type { ExitStatus } from "../sys/wait_status.ts";

export type { SandboxSpec };

/** How a process ended: an exit status, or the number of the signal that killed it. */
export type { ExitStatus };

/**
 * Everything needed to start one process of one job instance (see
 * docs/job-files.md#process-stanzas, docs/job-files.md#process-setup).
 */
export interface SpawnRequest {
  /** Job name (see docs/configuration.md#job-names), e.g. `net/apache`; names the log file. */
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
 * A process whose pid the job supervises after `expect` settled (see docs/behaviour.md#expect): the
 * forked daemon for `expect fork`/`daemon`, or the spawned process itself.
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

/** A spawn that failed before the program ran (raised by `security/` too, so defined there). */
export { SpawnError } from "../security/spawn_error.ts";

/** What {@linkcode ProcessSpawner.adopt} may take over besides the pid (after a re-exec). */
export interface AdoptOptions {
  /** The read end of the process's `console log` pipe, kept across the exec. */
  readonly logFd?: number;
  /** Further read ends of the same log (a spawner with separate stdout and stderr pipes). */
  readonly moreLogFds?: readonly number[];
  /** The log file that pipe is written to. */
  readonly logPath?: string;
}

/** A process taken over by {@linkcode ProcessSpawner.adopt}. */
export interface AdoptedProcess {
  readonly pid: number;
  /** Its exit; `null` when it ended but was not our child (its status cannot be known). */
  readonly exited: Promise<ExitStatus | null>;
}

/** A `console log` pipe kept open across a re-exec (docs/reexec.md). */
export interface KeptLogPipe {
  readonly pid: number;
  readonly fd: number;
  readonly path: string;
}

/** Starts and signals job processes. */
export interface ProcessSpawner {
  /**
   * Takes over a running process this incarnation did not spawn (kept across a re-exec).
   * Returns null when there is no such process.
   */
  adopt?(pid: number, options?: AdoptOptions): AdoptedProcess | null;
  /**
   * Clears close-on-exec on every open log pipe (or sets it again, with `false`) and lists them
   * for {@linkcode adopt} after the daemon re-execs itself.
   */
  keepAcrossExec?(keep?: boolean): KeptLogPipe[];
  /** Writes out buffered `console log` output (the disk became writeable). */
  flushLogs?(): unknown;
  /** Where to report what the spawner could not do on its own (log output dropped, ...). */
  reportTo?(log: (priority: "info" | "warn", message: string) => void): void;
  /** @throws {SpawnError} when the process could not be started. */
  spawn(req: SpawnRequest): SpawnedProcess;
  /**
   * Starts a process like {@linkcode spawn}, without holding the caller while it is created:
   * the process at once when the spawner started it on the spot (throwing as `spawn` does), or
   * a promise of it whose pid comes later (rejecting with {@linkcode SpawnError}); meanwhile the
   * engine holds the process as being spawned (pid 0). The engine driver uses it when present.
   */
  spawnAsync?(req: SpawnRequest): SpawnedProcess | PromiseLike<SpawnedProcess>;
  /** Spawns of {@linkcode spawnAsync} queued or under way (absent: it makes none later). */
  readonly spawnsPending?: number;
  /**
   * Sends `signal` to `pid`, or to its whole process group when `group` is set (see
   * docs/behaviour.md#stopping). A process that is already gone is not an error.
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
  /**
   * Whether a directory is there, as `readDir` would find it (not a null), without listing it;
   * one that cannot be looked at counts as there. Absent: `readDir` is used.
   */
  dirExists?(path: string): Promise<boolean>;
  /** Text of a file; `null` when it does not exist. Other failures throw. */
  readTextFile(path: string): Promise<string | null>;
  /**
   * Watches a directory tree (with `recursive: false`, the directory's own entries only):
   * `onChange` gets the paths of each batch of changes (accesses excluded). Absent where
   * nothing can be watched (the loader alone never watches).
   *
   * @returns a function that stops watching (its promise, if any, resolves once the watch is
   *   gone: a new watch of the same path may wait for it), or `null` when the directory does
   *   not exist
   * @throws {Error} when the directory exists but cannot be watched
   */
  watch?(
    path: string,
    onChange: (paths: readonly string[]) => void,
    options?: { readonly recursive?: boolean },
  ): (() => void | Promise<void>) | null;
}

/** Loads an AppArmor profile for a job's `security` state. */
export interface SecurityPort {
  load(profile: string, job: string): Promise<{ ok: true } | { ok: false; message: string }>;
}

/** The signals a mode may route to daemon events. */
export type SignalName = "SIGTERM" | "SIGINT" | "SIGHUP" | "SIGPWR" | "SIGWINCH" | "SIGUSR1";

/** Subscribing to the signals the daemon receives. */
export interface Signals {
  /**
   * Calls `fn` whenever `signal` arrives.
   *
   * @returns a function that ends the subscription
   * @throws {Error} when the signal cannot be handled here
   */
  subscribe(signal: SignalName, fn: () => void): () => void;
}

/** The machine as PID 1 sees it: the system calls of boot and shutdown (see `sys/machine.ts`). */
export interface Machine {
  /** mount(2). @throws {Error} naming the errno */
  mount(source: string, target: string, fstype: string, flags: number, data: string | null): void;
  /** umount2(2). @throws {Error} naming the errno */
  unmount(target: string, flags: number): void;
  /** sync(2): flush every file system. */
  sync(): void;
  /** reboot(2) with a `REBOOT_COMMANDS` command; returns only if the kernel refused. */
  reboot(command: RebootCommand): void;
  /** kill(-1, signal): every process but PID 1 and the caller. Nothing left is not an error. */
  killAll(signal: number): void;
  /** Makes `path` (normally `/dev/console`) the daemon's stdin, stdout and stderr. */
  attachConsole(path: string): void;
  /** The mounts the daemon sees, parents before children (`/proc/self/mountinfo`). */
  mounts(): readonly MountPoint[];
  /** mkdir(2) of one directory; an existing one is not an error. @throws {Error} naming the errno */
  makeDirectory(path: string, mode: number): void;
  /** setsid(2); already leading a session is not an error. */
  setsid(): void;
  /** chdir(2) of the whole daemon. @throws {Error} naming the errno */
  chdir(path: string): void;
  /** Sets the daemon's umask for good. */
  setUmask(mask: number): void;
  /** What fds 0–2 are (`/dev/console`, `pipe:[…]`, …), `null` for a closed one. */
  stdio(): readonly (string | null)[];
  /** A writer of kernel-log lines (`/dev/kmsg`), or `null` when it cannot be opened. */
  openKernelLog(): ((line: string) => void) | null;
  /**
   * Whether the daemon is the machine's own init (the initial PID namespace): only then does
   * the final shutdown touch the file systems, which a PID namespace shares with its host.
   */
  ownsMachine(): boolean;
  /**
   * execv(2) of the daemon's own image with its own command line plus `extraArgs`, keeping its
   * pid: what PID 1 does where it cannot go on. Returns only by throwing.
   */
  reexec(extraArgs: readonly string[]): void;
}

/** A mount as the shutdown and the early boot see it. */
export interface MountPoint {
  readonly mountPoint: string;
  readonly fsType: string;
}

/** The commands of reboot(2) the daemon uses. */
export type RebootCommand = "restart" | "halt" | "power-off" | "cad-on" | "cad-off";

/**
 * The daemon's own process: who it is, its umask, its inherited descriptors, the children it
 * reaps (`daemon/supervisor/reaper.ts`) and the few files it writes itself (log and socket
 * directories, the session file).
 */
export interface DaemonHost {
  readonly pid: number;
  readonly euid: number;
  /** The current umask. */
  umask(): number;
  /** Runs `fn` with the umask set to `mask`, then restores the old one. */
  withUmask<T>(mask: number, fn: () => T): T;
  /** Marks every inherited descriptor above stderr close-on-exec. */
  closeInheritedFdsOnExec(): void;
  /**
   * Starts reaping children (as a child subreaper unless PID 1).
   *
   * @throws {Error} when the daemon cannot become a child subreaper (reaping still runs)
   */
  startReaping(): void;
  /** Reaps children that have ended, now. */
  reapNow(): void;
  stopReaping(): void;
  /** Every live descendant of the daemon, children first. */
  descendants(): number[];
  /** mkdir -p with `mode`; an existing directory is not an error, and failures are ignored. */
  ensureDir(path: string, mode: number): Promise<void>;
  writeTextFile(path: string, text: string): Promise<void>;
  /** Removes a file; a missing one is not an error. */
  removeFile(path: string): Promise<void>;
}

/** Every port the daemon is wired from; `daemon/main.ts` builds the real ones. */
export interface DaemonPorts {
  readonly spawner: ProcessSpawner;
  readonly clock: Clock;
  readonly security: SecurityPort;
  readonly signals: Signals;
  readonly machine: Machine;
  readonly host: DaemonHost;
  readonly confFs: ConfFileSystem;
  /**
   * The one poll loop of the daemon's raw descriptors, shared by the spawner's log pipes and the
   * control socket; the socket makes its own when absent (fakes).
   */
  readonly pollLoop?: PollLoop;
  /** Opens the system mode's command FIFO (docs/pid1.md#the-command-fifo); absent: none. */
  readonly commandFifo?: CommandFifoPort;
}
