/**
 * The daemon: wires the engine, the process layer, the configuration watcher and the control
 * socket together from a {@linkcode Mode} (what differs between user, system and PID 1) and the
 * {@linkcode DaemonPorts} (every side effect). {@linkcode Daemon.start} is wiring only: it
 * branches on nothing, so tests drive it with fakes.
 *
 * Lifecycle:
 * 1. logging, reaping, inherited descriptors marked close-on-exec;
 * 2. the mode's directories made; configuration loaded from every source, then watched;
 * 3. the control socket listens, the session file is written (when the mode has one);
 * 4. the mode's signals are routed; its start-up events are emitted; its `started` hook runs;
 * 5. on a `shutdown` signal: `session-end TYPE=shutdown`, no more respawns, every job stopped
 *    within its kill timeout; what is still alive after that (hooks, escaped daemons, orphans)
 *    is killed; socket and session file removed; the mode's final shutdown; exit with the
 *    status the signal's action gives.
 *
 * The daemon never exits because a job, a client or a log write failed.
 *
 * @module
 */

import type { ConfLoadProblem } from "./conf/conf_loader.ts";
import type { JobClassSpec } from "../parser/types.ts";
import { ConfWatcher } from "./conf/conf_source.ts";
import { Engine } from "./engine/engine.ts";
import type { Instance } from "./engine/types.ts";
import { EngineDriver } from "./engine_driver.ts";
import { DaemonLog } from "./log.ts";
import type { DaemonControl, Mode, SignalAction } from "./modes/mode.ts";
import { dirname } from "./modes/user.ts";
import type { DaemonPorts, SignalName } from "./ports.ts";
import { sessionFileContent } from "../protocol/addresses.ts";
import { ownerAuthorizer } from "./rpc/authorize.ts";
import { createHandlers, type HandlerServices } from "./rpc/handlers.ts";
import { PeerCredTracker } from "./rpc/peercred.ts";
import { ControlSocketServer, createDispatcher } from "./rpc/server.ts";

/** The daybreak version reported by `initctl version`. */
export const DAYBREAK_VERSION = "0.1.0";

const SIGKILL = 9;

/** A running daemon. */
export class Daemon {
  readonly #mode: Mode;
  readonly #ports: DaemonPorts;
  readonly #log: DaemonLog;
  readonly #driver: EngineDriver;
  readonly #conf: ConfWatcher;
  #server: ControlSocketServer | null = null;
  #stopping: Promise<number> | null = null;
  readonly #exited: Promise<number>;
  #resolveExit!: (code: number) => void;
  readonly #unsubscribe: (() => void)[] = [];

  private constructor(
    mode: Mode,
    ports: DaemonPorts,
    parts: { log: DaemonLog; driver: EngineDriver; conf: ConfWatcher },
  ) {
    this.#mode = mode;
    this.#ports = ports;
    this.#log = parts.log;
    this.#driver = parts.driver;
    this.#conf = parts.conf;
    this.#exited = new Promise((resolve) => (this.#resolveExit = resolve));
  }

  /** Starts a daemon; resolves once it serves its socket and has emitted its start-up events. */
  static async start(mode: Mode, ports: DaemonPorts): Promise<Daemon> {
    const { host } = ports;
    const log = new DaemonLog(mode.log);
    const startupEvents = [...mode.startupEvents];
    try {
      host.closeInheritedFdsOnExec();
    } catch (e) {
      log.log("warn", `Cannot mark inherited descriptors close-on-exec: ${String(e)}`);
    }
    try {
      host.startReaping();
    } catch (e) {
      log.log("warn", `Unable to become a child subreaper: ${String(e)}`);
      startupEvents.push({ name: "child-subreaper-failed", env: [] });
    }
    for (const d of mode.directories) await host.ensureDir(d.path, d.mode);
    ports.spawner.reportTo?.((p, m) => log.log(p, m));

    const engine = new Engine({
      initEnv: mode.initEnv,
      globalEnv: mode.globalEnv,
      sessionAddress: mode.sessionAddress,
      ...mode.engine,
    });
    const driver = new EngineDriver(engine, {
      spawner: ports.spawner,
      clock: ports.clock,
      security: ports.security,
      log: (p, m) => log.log(p, m),
    }, mode.spawn);

    let jobs: readonly JobClassSpec[] = [];
    let reported = new Set<string>();
    const conf = new ConfWatcher(ports.confFs, mode.confSources, {
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
    const daemon = new Daemon(mode, ports, { log, driver, conf });
    for (const s of mode.confSources) log.log("info", `Loading configuration from ${s.path}`);
    // Watch first: a file written during the first load is seen then.
    await conf.watch();
    await conf.reload();

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
      pid1: mode.pid1,
      initialGlobalEnv: mode.globalEnv,
      logDir: mode.paths.logDir,
      defaultConsole: mode.spawn.defaultConsole,
      notifyDiskWriteable: () => void ports.spawner.flushLogs?.(),
    };
    const dispatcher = createDispatcher(createHandlers(services), {
      authorize: ownerAuthorizer(mode.socket.ownerUid, { jobs: () => jobs }),
      onInternalError: (method, error) => log.log("error", `${method} ${String(error)}`),
    });
    const tracker = new PeerCredTracker(mode.socket.path);
    daemon.#server = await ControlSocketServer.listen({
      path: mode.socket.path,
      dispatcher,
      mode: mode.socket.mode,
      createWithMode: (fileMode, fn) => host.withUmask(0o777 & ~fileMode, fn),
      peerLookup: (conn) => tracker.register(conn),
      onClose: (conn) => tracker.release(conn),
      onClientError: (m) => log.log("debug", `control socket: ${m}`),
    });

    for (const file of [mode.paths.sessionFile].filter((f) => f !== null)) {
      await host.ensureDir(dirname(file), 0o700);
      await host.writeTextFile(file, sessionFileContent(mode.socket.path));
    }

    for (const [signal, action] of Object.entries(mode.signals)) {
      daemon.#route(signal as SignalName, action);
    }
    for (const event of startupEvents) daemon.#emit(event.name, event.env);
    mode.started(daemon.#control());
    return daemon;
  }

  /** Resolves with the exit status once the daemon has shut down. */
  get exited(): Promise<number> {
    return this.#exited;
  }

  #emit(name: string, env: readonly string[]): void {
    try {
      this.#driver.run((e) => e.emit(name, [...env]));
    } catch (e) {
      this.#log.log("warn", `Cannot emit ${name}: ${String(e)}`);
    }
  }

  /** Routes a signal to what the mode says it means. */
  #route(signal: SignalName, action: SignalAction): void {
    try {
      this.#unsubscribe.push(this.#ports.signals.subscribe(signal, () => this.#act(action)));
    } catch (e) {
      this.#log.log("warn", `Cannot handle ${signal}: ${String(e)}`);
    }
  }

  #act(action: SignalAction): void {
    switch (action.kind) {
      case "shutdown":
        return void this.shutdown("shutdown", action.status);
      case "reload":
        return void this.#conf.reload();
      case "emit":
        return this.#emit(action.event, []);
    }
  }

  #control(): DaemonControl {
    return {
      ports: this.#ports,
      emit: (name, env) => this.#emit(name, env),
      shutdown: (type, status) => this.shutdown(type, status),
      log: (priority, message) => this.#log.log(priority, message),
    };
  }

  /**
   * Ends the session (spec §8): `session-end`, no respawns, every job stopped; anything still
   * alive after the longest kill timeout is killed. The first call's `status` is the exit status.
   */
  shutdown(type: "shutdown" | "logout", status = 0): Promise<number> {
    if (this.#stopping !== null) return this.#stopping;
    this.#stopping = this.#shutdown(type, status);
    return this.#stopping;
  }

  async #shutdown(type: "shutdown" | "logout", status: number): Promise<number> {
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
    const outcome = await Promise.race([
      this.#driver.whenIdle().then(() => "idle" as const),
      this.#sleep(longest * 1000 + 500).then(() => "timeout" as const),
    ]);
    if (outcome === "timeout") {
      for (const s of engine.list()) {
        if (s.state !== "waiting") this.#log.log("warn", `job ${s.job} failed to stop`);
      }
    }
    await this.#killEverything();
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    await this.#server?.close();
    const { host } = this.#ports;
    for (const file of [this.#mode.paths.sessionFile].filter((f) => f !== null)) {
      await host.removeFile(file);
    }
    host.stopReaping();
    try {
      await this.#mode.finalShutdown(this.#ports);
    } catch (e) {
      this.#log.log("error", `final shutdown failed: ${String(e)}`);
    }
    this.#resolveExit(status);
    return status;
  }

  /** Resolves after `ms` on the clock port. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#ports.clock.setTimer(ms, resolve));
  }

  /** SIGKILL to every process group we spawned and every descendant left (no orphans). */
  async #killEverything(): Promise<void> {
    const { host, spawner } = this.#ports;
    for (let round = 0; round < 20; round++) {
      const pids = new Set([...this.#driver.livePids(), ...host.descendants()]);
      if (pids.size === 0) return;
      for (const p of pids) {
        for (const group of [true, false]) {
          try {
            spawner.kill(p, SIGKILL, { group });
          } catch { /* not ours to kill, or gone */ }
        }
      }
      host.reapNow();
      await this.#sleep(25);
    }
  }
}

/** The live instances of a job, none when it is unknown. */
function liveInstances(engine: Engine, job: string): readonly Instance[] {
  try {
    return engine.instancesOf(job);
  } catch {
    return [];
  }
}
