/**
 * The daemon: wires the engine, the process layer, the configuration watcher
 * and the control socket together, handles signals, and ends the session
 * cleanly. Start-up lives in one place ({@linkcode Daemon.start}) so that
 * system mode as PID 1 can branch there.
 *
 * Lifecycle:
 * 1. logging, reaper (child subreaper unless PID 1), spawner;
 * 2. configuration loaded from every source, then watched;
 * 3. the control socket listens, the session file is written (user mode);
 * 4. signals are handled; `startup` (or `--startup-event`) is emitted;
 * 5. on SIGTERM (or SIGINT in user mode): `session-end TYPE=shutdown`, no more
 *    respawns, every job stopped within its kill timeout; what is still alive
 *    after that (hooks, escaped daemons, orphans) is killed; socket and session
 *    file removed; exit 0.
 *
 * The daemon never exits because a job, a client or a log write failed.
 *
 * @module
 */

import { configSources } from "../parser/conf_sources.ts";
import type { ConfLoadProblem } from "../parser/conf_loader.ts";
import type { JobClassSpec } from "../parser/types.ts";
import { ConfWatcher } from "./conf/conf_source.ts";
import { DenoConfFileSystem } from "./conf/deno_conf_fs.ts";
import { Engine } from "./engine/engine.ts";
import type { Instance } from "./engine/types.ts";
import { EngineDriver } from "./engine_driver.ts";
import { DaemonLog } from "./log.ts";
import { daemonPaths, type InitOptions } from "./options.ts";
import type { Clock } from "./ports.ts";
import { sessionAddress, sessionFileContent } from "./rpc/addresses.ts";
import { ownerAuthorizer } from "./rpc/authorize.ts";
import { createHandlers, type HandlerServices } from "./rpc/handlers.ts";
import { PeerCredTracker } from "./rpc/peercred.ts";
import { ControlSocketServer, createDispatcher } from "./rpc/server.ts";
import { DenoSpawner } from "./supervisor/deno_spawner.ts";
import {
  closeInheritedFdsOnExec,
  currentUmask,
  effectiveIds,
  getpid,
  kill,
  readText,
  umask,
} from "./supervisor/libc.ts";
import { listChildren, Reaper } from "./supervisor/reaper.ts";
import { AppArmorSecurity } from "../security/apparmor.ts";
import { countedHandlers, Observed, observingSpawner } from "./observe.ts";
import { type MetricsServer, serveMetrics } from "./metrics_server.ts";
import { seeingHandlers } from "./rpc/seeing_handlers.ts";

/** The daybreak version reported by `initctl version`. */
export const DAYBREAK_VERSION = "0.1.0";

/** Variables the launchers add for Deno itself; jobs never see them. */
const LAUNCHER_VARIABLES = new Set([
  "DENO_DIR",
  "DENO_DISABLE_NODE_SHIM",
  "DENO_NO_UPDATE_CHECK",
  "DENO_NODE_SHIM_ACTIVE",
  "RUST_BACKTRACE",
]);

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/bin:/usr/sbin:/sbin:/bin";
const SIGKILL = 9;

/** Everything the daemon needs from its caller. */
export interface DaemonConfig {
  readonly options: InitOptions;
  readonly env: Readonly<Record<string, string>>;
}

const systemClock: Clock = {
  now: () => performance.now(),
  setTimer: (ms, fn) => setTimeout(fn, ms) as unknown as number,
  clearTimer: (h) => clearTimeout(h),
};

/** A running daemon. */
export class Daemon {
  readonly #log: DaemonLog;
  readonly #driver: EngineDriver;
  readonly #conf: ConfWatcher;
  readonly #server: ControlSocketServer;
  readonly #reaper: Reaper;
  readonly #sessionFile: string | null;
  readonly #user: boolean;
  #stopping: Promise<number> | null = null;
  readonly #exited: Promise<number>;
  #resolveExit!: (code: number) => void;
  readonly #signals: [Deno.Signal, () => void][] = [];
  #metrics: MetricsServer | null = null;

  private constructor(parts: {
    log: DaemonLog;
    driver: EngineDriver;
    conf: ConfWatcher;
    server: ControlSocketServer;
    reaper: Reaper;
    sessionFile: string | null;
    user: boolean;
  }) {
    this.#log = parts.log;
    this.#driver = parts.driver;
    this.#conf = parts.conf;
    this.#server = parts.server;
    this.#reaper = parts.reaper;
    this.#sessionFile = parts.sessionFile;
    this.#user = parts.user;
    this.#exited = new Promise((resolve) => (this.#resolveExit = resolve));
  }

  /** Starts a daemon; resolves once it serves its socket and has emitted `startup`. */
  static async start(config: DaemonConfig): Promise<Daemon> {
    const { options } = config;
    const env = Object.fromEntries(
      Object.entries(config.env).filter(([k]) => !LAUNCHER_VARIABLES.has(k)),
    );
    const pid = getpid();
    const uid = effectiveIds().euid;
    const log = new DaemonLog({ user: options.user, priority: options.logPriority });
    try {
      closeInheritedFdsOnExec();
    } catch (e) {
      log.log("warn", `Cannot mark inherited descriptors close-on-exec: ${String(e)}`);
    }
    const paths = daemonPaths(options, { env, pid, uid });

    const reaper = new Reaper();
    let subreaperFailed = false;
    try {
      reaper.start();
    } catch (e) {
      subreaperFailed = true;
      log.log("warn", `Unable to become a child subreaper: ${String(e)}`);
    }
    const spawner = new DenoSpawner({ reaper, logTimestamps: options.logTimestamps ?? false });

    const sources = configSources({
      user: options.user,
      confdirs: options.confdirs,
      prependConfdirs: options.prependConfdirs,
      appendConfdirs: options.appendConfdirs,
      env,
    });
    if (options.user && options.confdirs.length === 0 && sources[0] !== undefined) {
      await Deno.mkdir(sources[0].path, { recursive: true, mode: 0o700 }).catch(() => {});
    }
    await Deno.mkdir(paths.logDir, { recursive: true, mode: options.user ? 0o700 : 0o755 })
      .catch(() => {});

    const initEnv = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    const globalEnv = options.user && options.inheritEnv
      ? [...initEnv.filter((e) => !e.startsWith("PATH=")), `PATH=${env.PATH ?? DEFAULT_PATH}`]
      : [
        `PATH=${env.PATH ?? DEFAULT_PATH}`,
        ...(env.TERM === undefined ? [] : [`TERM=${env.TERM}`]),
      ];
    const observed = new Observed(() => systemClock.now());
    const engine = new Engine({
      onStateChange: observed.onStateChange,
      initEnv,
      globalEnv,
      sessionAddress: options.user ? sessionAddress(paths.socket) : null,
      ...options.fixes,
    });
    const driver = new EngineDriver(engine, {
      spawner: observingSpawner(spawner, observed),
      onEffect: observed.onEffect,
      clock: systemClock,
      security: new AppArmorSecurity(),
      log: (p, m) => log.log(p, m),
    }, {
      defaultConsole: options.defaultConsole,
      logDir: paths.logDir,
      umask: options.user ? currentUmask() : 0o022,
      chdir: options.user ? null : "/",
    });

    let jobs: readonly JobClassSpec[] = [];
    let reported = new Set<string>();
    const conf = new ConfWatcher(new DenoConfFileSystem(), sources, {
      apply: (loaded) => {
        jobs = loaded;
        driver.run((e) => e.setClasses(loaded));
      },
      report: (problems: readonly ConfLoadProblem[]) => {
        const now = new Set(problems.map((p) => p.message));
        for (const m of now) if (!reported.has(m)) log.log("error", m);
        reported = now;
      },
      log: (p, m) => log.log(p, m),
    });
    for (const s of sources) log.log("info", `Loading configuration from ${s.path}`);
    await conf.reload();
    conf.watch();

    const services: HandlerServices = {
      driver,
      jobs: () => jobs,
      confProblems: () => conf.problems,
      reloadConfiguration: () => conf.reload(),
      get logPriority() {
        return log.priority;
      },
      set logPriority(p) {
        log.priority = p;
      },
      version: DAYBREAK_VERSION,
      pid1: pid === 1,
      initialGlobalEnv: globalEnv,
      logDir: paths.logDir,
      defaultConsole: options.defaultConsole,
      notifyDiskWriteable: () => void spawner.flushLogs(),
    };
    const base = createHandlers(services);
    const handlers = countedHandlers({ ...base, ...seeingHandlers(observed, base) }, observed.rpc);
    const dispatcher = createDispatcher(handlers, {
      authorize: ownerAuthorizer(options.user ? uid : 0, { jobs: () => jobs }),
      onInternalError: (method, error) => log.log("error", `${method} ${String(error)}`),
    });
    const socketDir = paths.socket.slice(0, paths.socket.lastIndexOf("/")) || "/";
    await Deno.mkdir(socketDir, { recursive: true, mode: 0o700 }).catch(() => {});
    const tracker = new PeerCredTracker(paths.socket);
    const server = await ControlSocketServer.listen({
      path: paths.socket,
      dispatcher,
      mode: options.socketMode ?? (options.user ? 0o600 : 0o666),
      createWithMode: (mode, fn) => {
        const old = umask(0o777 & ~mode);
        try {
          return fn();
        } finally {
          umask(old);
        }
      },
      peerLookup: (conn) => tracker.register(conn),
      onClose: (conn) => tracker.release(conn),
      onClientError: (m) => log.log("debug", `control socket: ${m}`),
    });

    if (paths.sessionFile !== null) {
      const dir = paths.sessionFile.slice(0, paths.sessionFile.lastIndexOf("/"));
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 }).catch(() => {});
      await Deno.writeTextFile(paths.sessionFile, sessionFileContent(paths.socket));
    }

    const daemon = new Daemon({
      log,
      driver,
      conf,
      server,
      reaper,
      sessionFile: paths.sessionFile,
      user: options.user,
    });
    if (options.metrics) {
      const src = { engine, observed, readText };
      await serveMetrics(options.metrics, src, (m) => log.log("warn", `metrics: ${m}`)).then(
        (m) => (daemon.#metrics = m),
        (e) => log.log("error", `Cannot serve metrics: ${String(e)}`),
      );
    }
    daemon.#installSignals(pid === 1);
    if (options.startupEvent !== null) daemon.#emit(options.startupEvent, []);
    if (subreaperFailed) daemon.#emit("child-subreaper-failed", []);
    return daemon;
  }

  /** Resolves with the exit status once the daemon has shut down. */
  get exited(): Promise<number> {
    return this.#exited;
  }

  #emit(name: string, env: string[]): void {
    try {
      this.#driver.run((e) => e.emit(name, env));
    } catch (e) {
      this.#log.log("warn", `Cannot emit ${name}: ${String(e)}`);
    }
  }

  #installSignals(pid1: boolean): void {
    const on = (signal: Deno.Signal, fn: () => void) => {
      try {
        Deno.addSignalListener(signal, fn);
        this.#signals.push([signal, fn]);
      } catch (e) {
        this.#log.log("warn", `Cannot handle ${signal}: ${String(e)}`);
      }
    };
    on("SIGTERM", () => void this.shutdown("shutdown"));
    on("SIGHUP", () => void this.#conf.reload());
    if (this.#user || !pid1) on("SIGINT", () => void this.shutdown("shutdown"));
    else on("SIGINT", () => this.#emit("control-alt-delete", []));
    if (pid1) {
      on("SIGPWR", () => this.#emit("power-status-changed", []));
      on("SIGWINCH", () => this.#emit("keyboard-request", []));
    }
  }

  /**
   * Ends the session (spec §8): `session-end`, no respawns, every job stopped;
   * anything still alive after the longest kill timeout is killed.
   */
  shutdown(type: "shutdown" | "logout"): Promise<number> {
    if (this.#stopping !== null) return this.#stopping;
    this.#stopping = this.#shutdown(type);
    return this.#stopping;
  }

  async #shutdown(type: "shutdown" | "logout"): Promise<number> {
    this.#log.log("info", `Session ending (${type})`);
    this.#conf.close();
    const engine = this.#driver.engine;
    // Spec §8: wait up to the largest kill timeout of any job (running instances may still use
    // an older definition's), at least a second so that session-end jobs get to run.
    const longest = Math.max(
      1,
      ...engine.list().flatMap((s) => [
        engine.getClass(s.job)?.killTimeout ?? 0,
        ...liveInstances(engine, s.job).map((i) => i.cls.killTimeout),
      ]),
    );
    try {
      this.#driver.run((e) => e.sessionEnd(type));
    } catch (e) {
      this.#log.log("error", `session-end failed: ${String(e)}`);
    }
    const deadline = new Promise<"timeout">((r) =>
      setTimeout(() => r("timeout"), longest * 1000 + 500)
    );
    const outcome = await Promise.race([
      this.#driver.whenIdle().then(() => "idle" as const),
      deadline,
    ]);
    if (outcome === "timeout") {
      for (const s of engine.list()) {
        if (s.state !== "waiting") this.#log.log("warn", `job ${s.job} failed to stop`);
      }
    }
    await this.#killEverything();
    for (const [signal, fn] of this.#signals) {
      try {
        Deno.removeSignalListener(signal, fn);
      } catch { /* gone */ }
    }
    await this.#server.close();
    await this.#metrics?.close().catch(() => {});
    if (this.#sessionFile !== null) await Deno.remove(this.#sessionFile).catch(() => {});
    this.#reaper.stop();
    this.#resolveExit(0);
    return 0;
  }

  /** SIGKILL to every process group we spawned and every descendant left (no orphans). */
  async #killEverything(): Promise<void> {
    for (let round = 0; round < 20; round++) {
      const pids = new Set([...this.#driver.livePids(), ...descendants()]);
      if (pids.size === 0) return;
      for (const p of pids) {
        try {
          kill(-p, SIGKILL);
        } catch { /* not a group leader, or gone */ }
        try {
          kill(p, SIGKILL);
        } catch { /* gone */ }
      }
      this.#reaper.scan();
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** Every descendant of this process (children first), from /proc. */
function descendants(): number[] {
  const out: number[] = [];
  const queue = listChildren();
  while (queue.length > 0) {
    const p = queue.shift()!;
    out.push(p);
    queue.push(...listChildren(p));
  }
  return out;
}

/** The live instances of a job, none when it is unknown. */
function liveInstances(engine: Engine, job: string): readonly Instance[] {
  try {
    return engine.instancesOf(job);
  } catch {
    return [];
  }
}
