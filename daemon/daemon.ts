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
import { finalSequence, type PowerAction, runFinalSequence, ShutdownTrigger } from "./shutdown.ts";
import type { DaemonControl, Mode, SignalAction } from "./modes/mode.ts";
import { dirname } from "./modes/user.ts";
import type { DaemonPorts, SignalName } from "./ports.ts";
import { sessionFileContent } from "../protocol/addresses.ts";
import { Observed, observingSpawner } from "./observe.ts";
import { exposedGc, HeapTrim } from "./heap_trim.ts";
import { type MetricsServer, serveMetrics } from "./metrics_server.ts";
import { readText } from "../sys/libc.ts";
import { releaseFreeHeapPages } from "../sys/malloc.ts";
import type { HandlerServices } from "./rpc/handlers.ts";
import { ControlSocketServer, type RequestDispatcher, type RpcHandlers } from "./rpc/server.ts";
import type { CommandFifoChannel } from "./rpc/command_fifo.ts";
import { afterFifo, fifoCommands } from "./rpc/fifo_commands.ts";
import {
  captureState,
  execWithState,
  type ReexecState,
  restoreEngine,
  resumeDriver,
} from "./reexec.ts";
import type { LogPriority } from "./options.ts";

/**
 * How long the final phase of a shutdown waits after it was asked for: it signals every process,
 * and the client that asked (`shutdown`, `telinit 0`, `initctl emit runlevel`) should have its
 * answer and be gone by then (docs/pid1.md#shutdown).
 */
const FINAL_PHASE_DELAY_MS = 250;

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
  #fifo: CommandFifoChannel | null = null;
  #stopping: Promise<number> | null = null;
  #final: Promise<void> | null = null;
  readonly #exited: Promise<number>;
  #resolveExit!: (code: number) => void;
  readonly #unsubscribe: (() => void)[] = [];
  #metrics: MetricsServer | null = null;

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

  /**
   * Starts a daemon; resolves once it serves its socket and has emitted its start-up events.
   * With `restore` (the state a re-exec handed over, docs/reexec.md) the engine, its processes
   * and timers are taken over instead, and no start-up event is emitted.
   */
  static async start(
    mode: Mode,
    ports: DaemonPorts,
    restore: ReexecState | null = null,
  ): Promise<Daemon> {
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

    // State changes, exits, events and RPC calls, for the timeline and the metrics
    // (docs/seeing.md).
    const observed = new Observed(() => ports.clock.now());
    const engineOptions = {
      onStateChange: observed.onStateChange,
      // The engine's `info` lines are built only when the log's priority lets them through.
      logsInfo: () => log.wants("info"),
      initEnv: mode.initEnv,
      globalEnv: mode.globalEnv,
      sessionAddress: mode.sessionAddress,
      ...mode.engine,
    };
    const engine = restore === null
      ? new Engine(engineOptions)
      : restoreEngine(restore, engineOptions, ports.clock);
    const trigger = new ShutdownTrigger();
    let daemonRef: Daemon | null = null;
    const gc = exposedGc();
    const trim = gc === null ? null : new HeapTrim({
      now: () => ports.clock.now(),
      spawnsPending: () => ports.spawner.spawnsPending ?? 0,
      heapUsed: () => Deno.memoryUsage().heapUsed,
      setTimer: (ms, fn) => void ports.clock.setTimer(ms, fn),
      collect: () => {
        const [t, cpu] = [performance.now(), cpuMs()];
        gc();
        // What the collection and the burst freed in malloc's arenas goes back too.
        const released = releaseFreeHeapPages();
        log.log(
          "debug",
          `Heap collected${released ? ", free C heap pages released" : ""}: ` +
            `${(performance.now() - t).toFixed(1)} ms, ${cpuMs() - cpu} ms of CPU`,
        );
      },
    });
    const driver = new EngineDriver(engine, {
      spawner: observingSpawner(ports.spawner, observed),
      clock: ports.clock,
      security: ports.security,
      log: (p, m) => log.log(p, m),
      // PID 1: a runlevel 0/6 whose scripts left the machine up ends in the final phase.
      observe: (effect) => {
        observed.onEffect(effect);
        if (effect.type === "spawn") trim?.spawned();
        if (mode.machineShutdown !== true || effect.type !== "eventEmitted") return;
        const action = trigger.event(effect.name, effect.env, engine.getClass("rc") !== undefined);
        if (action !== null) {
          ports.clock.setTimer(FINAL_PHASE_DELAY_MS, () => daemonRef?.powerOff(action));
        }
      },
    }, mode.spawn);

    let jobs: readonly JobClassSpec[] = [];
    let reported = new Set<string>();
    const conf = new ConfWatcher(ports.confFs, mode.confSources, {
      apply: (configured) => {
        const loaded = mode.supplementJobs?.(configured) ?? configured;
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
    daemonRef = daemon;
    if (restore !== null) {
      log.priority = restore.logPriority as LogPriority;
      resumeDriver(driver, restore, ports.clock);
      log.log(
        "message",
        `Re-executed: ${restore.processes.length} processes taken over, ` +
          `${restore.processes.filter((p) => p.logFds.length > 0).length} with their logs`,
      );
    }
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
      ownerUid: mode.socket.ownerUid,
      ...(mode.machineShutdown === true
        ? {
          shutdown: (action: PowerAction) =>
            void ports.clock.setTimer(FINAL_PHASE_DELAY_MS, () => daemon.powerOff(action)),
        }
        : {}),
      reexec: () => void daemon.reexec(),
    };
    // The handlers and the dispatcher, which validates with zod (tens of milliseconds to load),
    // are loaded once the start-up events are out (below), or by the first request, whichever
    // comes first; that request waits for them (docs/platform.md#start-up-costs).
    const loadDispatcher = (wrap?: (handlers: RpcHandlers) => RpcHandlers) =>
      import("./rpc/control.ts").then(({ controlDispatcher }) =>
        controlDispatcher(services, {
          observed,
          ownerUid: mode.socket.ownerUid,
          jobs: () => jobs,
          onInternalError: (method, error) => log.log("error", `${method} ${String(error)}`),
          ...(wrap === undefined ? {} : { wrap }),
        })
      );
    let loading: Promise<RequestDispatcher> | null = null;
    const dispatcher = () => loading ??= loadDispatcher();
    // The command FIFO (docs/pid1.md#the-command-fifo): root's lines go to the same dispatcher.
    if (mode.commandFifo !== undefined && ports.commandFifo !== undefined) {
      try {
        daemon.#fifo = ports.commandFifo.open({
          path: mode.commandFifo,
          ...(restore?.fifoFd === undefined ? {} : { keptFd: restore.fifoFd }),
          handle: fifoCommands({
            dispatcher: { receive: async (req, ctx) => (await dispatcher()).receive(req, ctx) },
            log: (p, m) => log.log(p, m),
            telinit: ports.commandFifo.telinit,
          }),
          log: (p, m) => log.log(p, m),
        });
      } catch (e) {
        log.log("warn", `No command FIFO: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const fifo = daemon.#fifo;
    // Socket requests wait for the FIFO's earlier lines (a wrapper of their own, loaded alike).
    let loadingAfterFifo: Promise<RequestDispatcher> | null = null;
    const socketDispatcher = fifo === null
      ? dispatcher
      : () => loadingAfterFifo ??= loadDispatcher((handlers) => afterFifo(handlers, fifo));
    daemon.#server = await ControlSocketServer.listen({
      path: mode.socket.path,
      dispatcher: socketDispatcher,
      mode: mode.socket.mode,
      createWithMode: (fileMode, fn) => host.withUmask(0o777 & ~fileMode, fn),
      // SO_PEERCRED, read on the accepted fd itself (docs/rpc.md).
      peerLookup: (conn) => conn.peer,
      ...(ports.pollLoop === undefined ? {} : { loop: ports.pollLoop }),
      ...(restore?.socketFd === undefined ? {} : { listeningFd: restore.socketFd }),
      onClientError: (m) => log.log("debug", `control socket: ${m}`),
      ...(trim === null ? {} : { onAnswered: () => trim.answered() }),
    });

    if (mode.metrics !== undefined && mode.metrics !== null) {
      const src = { engine, observed, readText };
      await serveMetrics(mode.metrics, src, (m) => log.log("warn", `metrics: ${m}`)).then(
        (m) => (daemon.#metrics = m),
        (e) => log.log("error", `Cannot serve metrics: ${String(e)}`),
      );
    }

    for (const file of [mode.paths.sessionFile].filter((f) => f !== null)) {
      await host.ensureDir(dirname(file), 0o700);
      await host.writeTextFile(file, sessionFileContent(mode.socket.path));
    }

    for (const [signal, action] of Object.entries(mode.signals)) {
      daemon.#route(signal as SignalName, action);
    }
    if (restore === null) {
      for (const event of startupEvents) {
        daemon.#emit(event.name, event.env);
      }
    }
    mode.started(daemon.#control());
    socketDispatcher().catch((e) =>
      log.log("error", `Cannot load the request dispatcher: ${String(e)}`)
    );
    return daemon;
  }

  /** Logs a failure the daemon survived (an uncaught error, say) in its own log. */
  report(message: string): void {
    this.#log.log("error", message);
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
      case "reexec":
        return void this.reexec();
      case "ignore":
        return;
    }
  }

  /**
   * PID 1's final phase of a shutdown (`daemon/shutdown.ts`): jobs stopped, every process
   * signalled, file systems made safe, reboot(2). Runs once; later requests are ignored.
   */
  powerOff(action: PowerAction): void {
    if (this.#final !== null) return;
    this.#log.log("message", `Final phase of the shutdown (${action})`);
    this.#final = runFinalSequence(finalSequence(action), {
      machine: this.#ports.machine,
      clock: this.#ports.clock,
      stopJobs: () => this.#stopAllJobs(),
      remaining: () => {
        this.#ports.host.reapNow();
        return this.#ports.host.descendants().length;
      },
      log: (p, m) => this.#log.log(p, m),
    }).catch((e) => this.#log.log("error", `Final shutdown failed: ${String(e)}`));
  }

  /** Stops every instance; resolves when none is left or the longest kill timeout passed. */
  async #stopAllJobs(): Promise<void> {
    const engine = this.#driver.engine;
    const longest = Math.max(
      1,
      ...engine.list().flatMap((s) => liveInstances(engine, s.job).map((i) => i.cls.killTimeout)),
    );
    for (const s of engine.list()) {
      for (const inst of liveInstances(engine, s.job)) {
        try {
          this.#driver.run((e) => e.stop(s.job, [], { instance: inst.name }));
        } catch { /* stopping already, or gone */ }
      }
    }
    await Promise.race([this.#driver.whenIdle(), this.#sleep(longest * 1000 + 500)]);
  }

  #control(): DaemonControl {
    return {
      ports: this.#ports,
      emit: (name, env) => this.#emit(name, env),
      shutdown: (type, status) => this.shutdown(type, status),
      reexec: () => this.reexec(),
      log: (priority, message) => this.#log.log(priority, message),
    };
  }

  /**
   * Re-executes the daemon keeping its jobs (docs/reexec.md). Waits one turn of the event loop
   * first, so that answers and log output already read reach their ends. Returns only when the
   * exec failed (or a shutdown is under way): that is logged and the daemon goes on as it was.
   */
  async reexec(): Promise<string> {
    await new Promise((resolve) => this.#ports.clock.setTimer(20, () => resolve(undefined)));
    if (this.#stopping !== null) return "shutting down";
    // Output that Deno has read for a log pump reaches the pump through a chain of promise
    // jobs: let those run before the exec, so that no line read is left behind. A spawn under
    // way has no pid yet, which the state must hold: wait for those too.
    do {
      await this.#driver.spawnsSettled();
      for (let i = 0; i < 64; i++) await null;
    } while (this.#driver.spawning > 0);
    this.#log.log("info", "Re-executing");
    const { spawner, clock } = this.#ports;
    try {
      // The listening socket goes across too: clients connecting meanwhile wait in its backlog.
      const socketFd = this.#server?.keepAcrossExec(true);
      const fifoFd = this.#fifo?.keepAcrossExec(true);
      const state = captureState(
        this.#driver,
        spawner,
        clock,
        this.#log.priority,
        socketFd,
        fifoFd,
      );
      execWithState(state);
    } catch (e) {
      try {
        spawner.keepAcrossExec?.(false);
        this.#server?.keepAcrossExec(false);
        this.#fifo?.keepAcrossExec(false);
      } catch { /* the pipes stay inheritable: nothing worse than before */ }
      const message = e instanceof Error ? e.message : String(e);
      this.#log.log("error", `Re-exec failed, carrying on: ${message}`);
      return message;
    }
  }

  /**
   * Ends the session (see docs/behaviour.md#user-session): `session-end`, no respawns, every job
   * stopped; anything still alive after the longest kill timeout is killed. The first call's
   * `status` is the exit status.
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
    // See docs/behaviour.md#user-session: wait up to the largest kill timeout of any job (running
    // instances may still use an older definition's), at least a second so that session-end jobs
    // get to run.
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
    this.#fifo?.close();
    await this.#server?.close();
    await this.#metrics?.close().catch(() => {});
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
    this.#log.flush();
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
    // Spawns under way get their pids first (a spawn ends in milliseconds).
    await Promise.race([this.#driver.spawnsSettled(), this.#sleep(1000)]);
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

/** The daemon's user and system CPU time (every thread's), in ms, from `/proc/self/stat`. */
function cpuMs(): number {
  const stat = readText("/proc/self/stat") ?? "";
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
