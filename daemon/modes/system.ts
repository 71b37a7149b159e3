/**
 * The system's init (see docs/configuration.md#sources, docs/behaviour.md#user-session,
 * docs/behaviour.md#logging): jobs from `/etc/init.conf` and `/etc/init`, a clean environment (PATH
 * and TERM), umask 022 and `/` for every job, a socket anyone may query but only root may command.
 * As PID 1 it also routes the kernel's signals to events: SIGINT (Ctrl-Alt-Delete) →
 * `control-alt-delete`, SIGPWR → `power-status-changed`, SIGWINCH (Alt-Up) → `keyboard-request`,
 * SIGHUP reloads, SIGTERM asks for a re-exec and SIGUSR1 is ignored: no signal ends PID 1 (see
 * docs/pid1.md#signals). Run with `--system` instead of as PID 1 (tests, another init above),
 * SIGTERM and SIGINT end the daemon.
 *
 * @module
 */

import type { JobClassSpec } from "../../parser/types.ts";
import { supplementJobs } from "../conf/builtin_jobs.ts";
import { configSources } from "../conf/conf_sources.ts";
import { daemonPaths, type InitOptions } from "../options.ts";
import type { DaemonHost, Machine, SignalName } from "../ports.ts";
import { ConsoleThenKernelLog } from "./early_boot.ts";
import {
  daemonEnvironment,
  DEFAULT_PATH,
  envList,
  type Mode,
  type SignalAction,
  startupEvents,
} from "./mode.ts";
import { dirname } from "./user.ts";

type SignalTable = Readonly<Partial<Record<SignalName, SignalAction>>>;

/** Signals of a system daemon that is not PID 1 (run for tests, or under another init). */
export const SYSTEM_SIGNALS: SignalTable = {
  SIGTERM: { kind: "shutdown", status: 0 },
  SIGINT: { kind: "shutdown", status: 0 },
  SIGHUP: { kind: "reload" },
};

/** Signals of PID 1: the kernel's requests become events; none ends the daemon. */
export const PID1_SIGNALS: SignalTable = {
  SIGTERM: { kind: "reexec" },
  SIGUSR1: { kind: "ignore" },
  SIGHUP: { kind: "reload" },
  SIGINT: { kind: "emit", event: "control-alt-delete" },
  SIGPWR: { kind: "emit", event: "power-status-changed" },
  SIGWINCH: { kind: "emit", event: "keyboard-request" },
};

/** The system mode for these options, this environment and this process. */
export function systemMode(
  options: InitOptions,
  rawEnv: Readonly<Record<string, string>>,
  host: Pick<DaemonHost, "pid" | "euid">,
  boot: {
    readonly consoleAttached: boolean;
    readonly machine: Machine;
    /** The providers of the boot events (docs/pid1.md#built-in-providers). */
    readonly builtinJobs?: readonly JobClassSpec[];
  } | null = null,
): Mode {
  const env = daemonEnvironment(rawEnv);
  // On the console, the daemon's messages move to the kernel log once jobs may own it.
  const writer = boot?.consoleAttached ? new ConsoleThenKernelLog() : undefined;
  const paths = daemonPaths(options, { env, pid: host.pid, uid: host.euid });
  const pid1 = host.pid === 1;
  return {
    name: pid1 ? "system (PID 1)" : "system",
    paths,
    directories: [
      { path: paths.logDir, mode: 0o755 },
      // Traversable by all: anyone may query the system daemon (authorisation is per caller).
      { path: dirname(paths.socket), mode: 0o755 },
    ],
    confSources: configSources({
      user: false,
      confdirs: options.confdirs,
      prependConfdirs: options.prependConfdirs,
      appendConfdirs: options.appendConfdirs,
      env,
    }),
    log: { user: false, priority: options.logPriority, ...(writer ? { writer } : {}) },
    initEnv: envList(env),
    globalEnv: [
      `PATH=${env.PATH ?? DEFAULT_PATH}`,
      ...(env.TERM === undefined ? [] : [`TERM=${env.TERM}`]),
    ],
    sessionAddress: null,
    engine: options.fixes,
    spawn: {
      defaultConsole: options.defaultConsole,
      logDir: paths.logDir,
      umask: 0o022,
      chdir: "/",
    },
    socket: { path: paths.socket, mode: options.socketMode ?? 0o666, ownerUid: 0 },
    // As PID 1 only: a shell writer cannot tell whether anyone reads a FIFO, and only PID 1
    // cannot be gone while its FIFO is there (docs/pid1.md#the-command-fifo).
    ...(pid1 ? { commandFifo: `${dirname(paths.socket)}/initctl.fifo` } : {}),
    signals: pid1 ? PID1_SIGNALS : SYSTEM_SIGNALS,
    startupEvents: startupEvents(options.startupEvent),
    metrics: options.metrics ?? null,
    pid1,
    machineShutdown: pid1,
    ...(boot?.builtinJobs === undefined ? {} : {
      supplementJobs: (loaded: readonly JobClassSpec[]) =>
        supplementJobs(loaded, boot.builtinJobs ?? []),
    }),
    started: () => {
      if (boot !== null) writer?.toKernelLog(boot.machine);
    },
    // As PID 1 the kernel panics when init exits; what follows the exit is the shutdown
    // sequence's concern. Flushing the file systems first costs nothing.
    finalShutdown: (ports) => {
      if (pid1) ports.machine.sync();
      return Promise.resolve();
    },
  };
}
