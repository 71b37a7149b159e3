/**
 * What differs between the ways the daemon runs (a user session, the system's init, PID 1, later
 * a container's init), as data plus a few hooks. {@linkcode Daemon.start} reads a `Mode` and
 * branches nowhere; `daemon/main.ts` picks the mode once from argv.
 *
 * @module
 */

import type { ConfSource } from "../conf/conf_sources.ts";
import type { JobClassSpec } from "../../parser/types.ts";
import type { EngineOptions } from "../engine/engine.ts";
import type { SpawnDefaults } from "../engine_driver.ts";
import type { LogWriter } from "../log.ts";
import type { DaemonPaths, LogPriority } from "../options.ts";
import type { DaemonPorts, SignalName } from "../ports.ts";
import type { MetricsAddress } from "../metrics_server.ts";

/** What a signal means to the daemon. */
export type SignalAction =
  /** End the session; the daemon then exits with `status`. */
  | { readonly kind: "shutdown"; readonly status: number }
  /** Reload the configuration. */
  | { readonly kind: "reload" }
  /** Emit an event (PID 1's `control-alt-delete`, `power-status-changed`, ...). */
  | { readonly kind: "emit"; readonly event: string }
  /** Re-execute the daemon keeping its state (PID 1's SIGTERM, `telinit u`). */
  | { readonly kind: "reexec" }
  /** Nothing: the signal is caught so that it can never end the daemon. */
  | { readonly kind: "ignore" };

/** An event with its environment. */
export interface ModeEvent {
  readonly name: string;
  readonly env: readonly string[];
}

/** The control socket: where, with which file mode, and whose it is. */
export interface SocketSpec {
  readonly path: string;
  readonly mode: number;
  /** The uid whose clients may change anything (root's for the system daemon). */
  readonly ownerUid: number;
}

/** A directory the daemon makes before it starts, with the mode it gets if made. */
export interface ModeDirectory {
  readonly path: string;
  readonly mode: number;
}

/** What a mode's hooks may do with a running daemon. */
export interface DaemonControl {
  readonly ports: DaemonPorts;
  emit(name: string, env: readonly string[]): void;
  /** Ends the session (see `Daemon.shutdown`); the daemon then exits with `status`. */
  shutdown(type: "shutdown" | "logout", status: number): Promise<number>;
  log(priority: LogPriority, message: string): void;
  /**
   * Re-executes the daemon keeping its jobs (docs/reexec.md); resolves with the reason only when
   * that failed and the daemon carries on.
   */
  reexec(): Promise<string>;
}

/** One way of running the daemon. */
export interface Mode {
  /** `user`, `system`, ...: for log lines and tests. */
  readonly name: string;
  /** Socket, log directory and session file. */
  readonly paths: DaemonPaths;
  /** Directories to make before configuration loads, in order. */
  readonly directories: readonly ModeDirectory[];
  /** Where job configuration comes from, in priority order. */
  readonly confSources: readonly ConfSource[];
  /** The daemon's own log: where it goes (user mode: stderr) and from which priority. */
  readonly log: {
    readonly user: boolean;
    readonly priority: LogPriority;
    /** Where lines go; the process's stdout and stderr when absent. */
    readonly writer?: LogWriter;
  };
  /** init's environment (`initctl list-env --global` starts from `globalEnv`). */
  readonly initEnv: readonly string[];
  /** The environment every job starts with. */
  readonly globalEnv: readonly string[];
  /** `UPSTART_SESSION` for jobs, null outside a user session. */
  readonly sessionAddress: string | null;
  /** The engine's options (the Upstart fixes). */
  readonly engine: EngineOptions;
  /** Defaults of every spawn: console, log directory, umask, working directory. */
  readonly spawn: SpawnDefaults;
  readonly socket: SocketSpec;
  /**
   * The command FIFO root's `initctl emit --no-wait` and `telinit` write to instead of starting
   * Deno (system mode, docs/pid1.md#the-command-fifo); absent: none.
   */
  readonly commandFifo?: string;
  /** Which signal means which event. */
  readonly signals: Readonly<Partial<Record<SignalName, SignalAction>>>;
  /** Emitted once the socket serves, in order. */
  readonly startupEvents: readonly ModeEvent[];
  /** `init --metrics ADDR`: where to serve Prometheus metrics; absent or null: nowhere. */
  readonly metrics?: MetricsAddress | null;
  /**
   * Jobs the mode adds to what the configuration holds (PID 1: the providers of the boot events
   * no configured job emits, docs/pid1.md#built-in-providers); absent: none.
   */
  supplementJobs?(loaded: readonly JobClassSpec[]): readonly JobClassSpec[];
  /** Whether the daemon runs as PID 1 (reported by `initctl version --json` and the like). */
  readonly pid1: boolean;
  /**
   * Whether the daemon owns a machine it may shut down (PID 1 of system mode): the final phase
   * of a shutdown (`daemon/shutdown.ts`) runs only then.
   */
  readonly machineShutdown?: boolean;
  /**
   * The exit policy beyond signals: called once the daemon serves. A container mode starts its
   * main process here and calls `control.shutdown("shutdown", status)` when it exits.
   */
  started(control: DaemonControl): void;
  /** The last step, after every job stopped and every process was killed (PID 1: sync, ...). */
  finalShutdown(ports: DaemonPorts): Promise<void>;
}

/** Variables the launchers add for Deno itself; jobs never see them. */
export const LAUNCHER_VARIABLES: ReadonlySet<string> = new Set([
  "DENO_DIR",
  "DENO_DISABLE_NODE_SHIM",
  "DENO_NO_UPDATE_CHECK",
  "DENO_NODE_SHIM_ACTIVE",
  "RUST_BACKTRACE",
]);

/** The PATH jobs get when init has none. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/bin:/usr/sbin:/sbin:/bin";

/** The environment without the launcher's variables. */
export function daemonEnvironment(
  env: Readonly<Record<string, string>>,
): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !LAUNCHER_VARIABLES.has(k)));
}

/** `KEY=VALUE` strings of an environment record. */
export function envList(env: Readonly<Record<string, string>>): string[] {
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** The start-up event chosen by `--startup-event`/`--no-startup-event`, if any. */
export function startupEvents(startupEvent: string | null): ModeEvent[] {
  return startupEvent === null ? [] : [{ name: startupEvent, env: [] }];
}
