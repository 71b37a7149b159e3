/**
 * Runs the pure engine against the real world: applies its effects through
 * the ports (spawner, clock, security, log) and feeds what comes back (spawns,
 * exits, timers, tracked pids) in as inputs, one at a time, never re-entering
 * the engine (dinit's queue draining).
 *
 * Nothing here may throw into the daemon: a failing effect is logged and
 * turned into the input the engine expects (a spawn failure, say).
 *
 * @module
 */

import type { Engine } from "./engine/engine.ts";
import { EngineError } from "./engine/errors.ts";
import type { Effect, Input, NotifyResult, WaiterId } from "./engine/types.ts";
import type { LogPriority } from "./options.ts";
import {
  type AdoptOptions,
  type Clock,
  type ExitStatus,
  type ProcessSpawner,
  type SecurityPort,
  type SpawnedProcess,
  SpawnError,
  type SpawnRequest,
  type TimerHandle,
} from "./ports.ts";
import type { ConsoleMode } from "../parser/types.ts";
import { envToMap, expand, ExpansionError } from "../parser/expand.ts";

export type { SecurityPort };

/** Daemon-wide defaults applied to every spawn. */
export interface SpawnDefaults {
  readonly defaultConsole: ConsoleMode;
  readonly logDir: string | null;
  /** 0o022 in system mode; init's own umask in user mode. */
  readonly umask: number;
  /** `/` in system mode; `null` (inherit) in user mode. */
  readonly chdir: string | null;
}

/** Ports of the driver. */
export interface DriverPorts {
  readonly spawner: ProcessSpawner;
  readonly clock: Clock;
  readonly security: SecurityPort;
  readonly log: (priority: LogPriority, message: string) => void;
  /** Sees every effect before it is applied (tests, tracing, the daemon's counters). */
  readonly observe?: (effect: Effect) => void;
}

/**
 * How many queued inputs one drain handles, and for how long, before it yields to the event
 * loop (reaping, control socket, signals) and goes on in a later turn
 * (docs/behaviour.md#event-loops).
 */
export const DRAIN_SLICE = { inputs: 256, ms: 20 } as const;

/** Applies engine effects and feeds inputs back. */
export class EngineDriver {
  readonly engine: Engine;
  readonly #ports: DriverPorts;
  readonly #defaults: SpawnDefaults;
  readonly #queue: Input[] = [];
  readonly #timers = new Map<string, TimerHandle>();
  /** When each armed timer fires, on the clock port (for a re-exec, docs/reexec.md). */
  readonly #deadlines = new Map<string, number>();
  readonly #waiters = new Map<WaiterId, (r: NotifyResult) => void>();
  /** Processes we spawned (or tracked) that have not been reported as exited. */
  readonly #live = new Set<number>();
  #pumping = false;
  /** The timer that resumes a drain that yielded. */
  #resume: TimerHandle | null = null;
  #nextWaiter = 1;
  #idleListeners: (() => void)[] = [];
  /** Spawns under way (see {@linkcode spawnsSettled}). */
  #spawning = 0;
  #settledListeners: (() => void)[] = [];

  constructor(engine: Engine, ports: DriverPorts, defaults: SpawnDefaults) {
    this.engine = engine;
    this.#ports = ports;
    this.#defaults = defaults;
  }

  /**
   * Runs an engine request and applies its effects. EngineErrors propagate
   * to the caller (they are answers for the client); effects already
   * produced are applied either way.
   */
  run(request: (engine: Engine) => Effect[]): void {
    this.engine.setNow(this.#ports.clock.now());
    this.apply(request(this.engine));
  }

  /** A fresh waiter id and a promise of its notification. */
  waiter(): { id: WaiterId; done: Promise<NotifyResult> } {
    const id = `w${this.#nextWaiter++}`;
    const done = new Promise<NotifyResult>((resolve) => this.#waiters.set(id, resolve));
    return { id, done };
  }

  /** Forgets a waiter whose client went away. */
  dropWaiter(id: WaiterId): void {
    this.#waiters.delete(id);
  }

  /**
   * Pids of every live job process (for the final kill at shutdown). A spawn still under way
   * has none yet: see {@linkcode spawnsSettled}.
   */
  livePids(): number[] {
    return [...this.#live];
  }

  /** Spawns asked of the spawner whose pid (or failure) has not come back yet. */
  get spawning(): number {
    return this.#spawning;
  }

  /**
   * Resolves once no spawn is under way (at once when none is): then every process the engine
   * asked for has its pid, in {@linkcode livePids} and in the engine (a re-exec's snapshot
   * needs them, docs/reexec.md).
   */
  spawnsSettled(): Promise<void> {
    if (this.#spawning === 0) return Promise.resolve();
    return new Promise((resolve) => this.#settledListeners.push(resolve));
  }

  /** Armed timers and the ms each has left (a re-exec re-arms them, docs/reexec.md). */
  timersLeft(): { id: string; ms: number }[] {
    const now = this.#ports.clock.now();
    return [...this.#deadlines].map(([id, at]) => ({ id, ms: Math.max(0, at - now) }));
  }

  /**
   * Supervises `pid` again after a re-exec: its exit is fed to the engine as if spawned here.
   * An exit whose status cannot be known counts as a SIGKILL.
   *
   * @returns false when the process is gone (its exit is fed at once)
   */
  adopt(pid: number, options: AdoptOptions = {}): boolean {
    const adopted = this.#ports.spawner.adopt?.(pid, options) ?? null;
    const exited = (status: ExitStatus | null) => {
      this.#live.delete(pid);
      this.feed({
        type: "processExited",
        pid,
        status: status ?? { signal: 9 },
        now: this.#ports.clock.now(),
      });
    };
    if (adopted === null) {
      queueMicrotask(() => exited(null));
      return false;
    }
    this.#live.add(pid);
    adopted.exited.then(exited);
    return true;
  }

  /** Resolves once the engine has no instance left (or at once). */
  whenIdle(): Promise<void> {
    if (!this.engine.hasInstances()) return Promise.resolve();
    return new Promise((resolve) => this.#idleListeners.push(resolve));
  }

  /** Queues an input and drains the queue. */
  feed(input: Input): void {
    this.#queue.push(input);
    this.#pump();
  }

  /** Applies effects in order, then drains queued inputs. */
  apply(effects: readonly Effect[]): void {
    this.#applyAll(effects);
    this.#pump();
  }

  /** Applies each effect; one that fails is logged and the others still run. */
  #applyAll(effects: readonly Effect[]): void {
    for (const effect of effects) {
      this.#ports.observe?.(effect);
      try {
        this.#applyOne(effect);
      } catch (e) {
        this.#ports.log("error", `Failed to apply ${effect.type}: ${describe(e)}`);
      }
    }
  }

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    const clock = this.#ports.clock;
    const started = clock.now();
    let handled = 0;
    try {
      for (let input = this.#queue.shift(); input !== undefined; input = this.#queue.shift()) {
        // One reading of the clock per input (for the slice and the engine alike).
        const now = clock.now();
        if (handled++ >= DRAIN_SLICE.inputs || now - started >= DRAIN_SLICE.ms) {
          // Yield: a burst of inputs (an event loop, say) must not starve reaping and clients.
          this.#queue.unshift(input);
          this.#resumeLater();
          break;
        }
        let effects: Effect[] = [];
        try {
          this.engine.setNow(now);
          effects = this.engine.dispatch(input);
        } catch (e) {
          const level = e instanceof EngineError ? "warn" : "error";
          this.#ports.log(level, `Cannot handle ${input.type}: ${describe(e)}`);
        }
        this.#applyAll(effects);
      }
    } finally {
      this.#pumping = false;
    }
    // Events left queued by a call that ran out of its budget: go on in a later turn.
    if (this.engine.hasPendingEvents()) this.#resumeLater();
    if (this.#idleListeners.length > 0 && !this.engine.hasInstances()) {
      const listeners = this.#idleListeners;
      this.#idleListeners = [];
      for (const l of listeners) l();
    }
  }

  #resumeLater(): void {
    if (this.#resume !== null) return;
    this.#resume = this.#ports.clock.setTimer(0, () => {
      this.#resume = null;
      if (this.engine.hasPendingEvents()) {
        try {
          this.engine.setNow(this.#ports.clock.now());
          this.#applyAll(this.engine.resume());
        } catch (e) {
          this.#ports.log("error", `Cannot handle queued events: ${describe(e)}`);
        }
      }
      this.#pump();
    });
  }

  #applyOne(effect: Effect): void {
    switch (effect.type) {
      case "spawn":
        return this.#spawn(effect);
      case "kill":
        return this.#ports.spawner.kill(effect.pid, effect.signal, { group: effect.group });
      case "armTimer": {
        const old = this.#timers.get(effect.id);
        if (old !== undefined) this.#ports.clock.clearTimer(old);
        this.#deadlines.set(effect.id, this.#ports.clock.now() + effect.ms);
        const handle = this.#ports.clock.setTimer(effect.ms, () => {
          this.#timers.delete(effect.id);
          this.#deadlines.delete(effect.id);
          this.feed({ type: "timer", id: effect.id });
        });
        this.#timers.set(effect.id, handle);
        return;
      }
      case "cancelTimer": {
        const handle = this.#timers.get(effect.id);
        if (handle !== undefined) this.#ports.clock.clearTimer(handle);
        this.#timers.delete(effect.id);
        this.#deadlines.delete(effect.id);
        return;
      }
      case "notify": {
        const resolve = this.#waiters.get(effect.waiterId);
        this.#waiters.delete(effect.waiterId);
        resolve?.(effect.result);
        return;
      }
      case "eventEmitted":
        // The engine logs "Handling NAME event" itself when it handles the event.
        return;
      case "log":
        return this.#ports.log(effect.level, effect.message);
      case "loadSecurity":
        return this.#loadSecurity(effect);
    }
  }

  #loadSecurity(effect: Extract<Effect, { type: "loadSecurity" }>): void {
    this.#ports.security.load(effect.profile, effect.job).then(
      (r) => this.feed({ type: "securityLoaded", instance: effect.instanceId, ...r }),
      (e) =>
        this.feed({
          type: "securityLoaded",
          instance: effect.instanceId,
          ok: false,
          message: describe(e),
        }),
    );
  }

  #spawn(effect: Extract<Effect, { type: "spawn" }>): void {
    const { cls } = effect;
    const main = effect.process === "main";
    let apparmorSwitch: string | null = null;
    if (main && cls.apparmorSwitch !== null) {
      // Expanded against the process's own environment, as Upstart's child did (see
      // docs/job-files.md#process-setup).
      try {
        apparmorSwitch = expand(cls.apparmorSwitch, envToMap(effect.env));
      } catch (e) {
        if (!(e instanceof ExpansionError)) throw e;
        this.#queue.push({
          type: "spawnFailed",
          instance: effect.instanceId,
          process: effect.process,
          reason: `unable to switch to apparmor profile: ${e.message}`,
        });
        return;
      }
    }
    const req: SpawnRequest = {
      job: effect.job,
      instance: effect.instance,
      process: effect.process,
      script: effect.spec.script,
      command: effect.spec.command,
      env: effect.env,
      console: cls.console ?? this.#defaults.defaultConsole,
      logDir: this.#defaults.logDir,
      umask: cls.umask ?? this.#defaults.umask,
      nice: cls.nice,
      oomScoreAdj: cls.oomScoreAdj,
      limits: cls.limits,
      chroot: cls.chroot,
      chdir: cls.chdir ?? this.#defaults.chdir,
      setuid: cls.setuid,
      setgid: cls.setgid,
      expect: main ? cls.expect : "none",
      sandbox: {
        noNewPrivileges: cls.noNewPrivileges,
        capabilities: cls.capabilities,
        privateTmp: cls.privateTmp,
        protectSystem: cls.protectSystem,
        readWritePaths: cls.readWritePaths,
        readOnlyPaths: cls.readOnlyPaths,
        privateNetwork: cls.privateNetwork,
        hostname: cls.hostname,
        ...(cls.seccomp === undefined ? {} : { seccomp: cls.seccomp }),
      },
      apparmorSwitch,
    };
    const spawner = this.#ports.spawner;
    const failed = (e: unknown): Input => ({
      type: "spawnFailed",
      instance: effect.instanceId,
      process: effect.process,
      reason: e instanceof SpawnError ? e.reason : describe(e),
    });
    if (spawner.spawnAsync === undefined) {
      let spawned;
      try {
        spawned = spawner.spawn(req);
      } catch (e) {
        this.#queue.push(failed(e));
        return;
      }
      this.#supervise(effect, req, spawned, false);
      return;
    }
    let started: SpawnedProcess | PromiseLike<SpawnedProcess>;
    try {
      started = spawner.spawnAsync(req);
    } catch (e) {
      this.#queue.push(failed(e));
      return;
    }
    if (!isPending(started)) {
      this.#supervise(effect, req, started, false);
      return;
    }
    // The pid arrives later; meanwhile the engine holds the process as pid 0 (being spawned).
    // Settled at once (a fake spawner), the outcome is queued like a synchronous spawn's.
    let late = false;
    this.#spawning++;
    const settled = () => {
      if (--this.#spawning > 0) return;
      const waiting = this.#settledListeners;
      this.#settledListeners = [];
      for (const l of waiting) l();
    };
    started.then((spawned) => {
      settled();
      this.#supervise(effect, req, spawned, late);
    }, (e) => {
      settled();
      if (late) this.feed(failed(e));
      else this.#queue.push(failed(e));
    });
    late = true;
  }

  /**
   * Feeds a spawned process's pid to the engine (queued when `late` is false, as part of the
   * current drain) and its exit, or the pid `expect` settles on, when it comes.
   */
  #supervise(
    effect: Extract<Effect, { type: "spawn" }>,
    req: SpawnRequest,
    spawned: SpawnedProcess,
    late: boolean,
  ): void {
    const pid = spawned.pid;
    this.#live.add(pid);
    const input: Input = {
      type: "spawned",
      instance: effect.instanceId,
      process: effect.process,
      pid,
    };
    if (late) this.feed(input);
    else this.#queue.push(input);
    const exited = (p: number, status: ExitStatus) => {
      this.#live.delete(p);
      this.feed({ type: "processExited", pid: p, status, now: this.#ports.clock.now() });
    };
    if (spawned.tracked === null) {
      spawned.exited.then((status) => exited(pid, status));
      return;
    }
    if (req.expect === "stop") {
      spawned.tracked.then((t) => {
        if (t !== null) this.feed({ type: "stopped", pid });
      });
      spawned.exited.then((status) => exited(pid, status));
      return;
    }
    // expect fork/daemon: the spawned process's own exit is the fork, not the end of the job,
    // unless nothing survived it.
    spawned.tracked.then(async (t) => {
      if (t === null) {
        exited(pid, await spawned.exited);
        return;
      }
      if (t.pid !== pid) {
        this.#live.delete(pid);
        this.#live.add(t.pid);
      }
      this.feed({ type: "forkTracked", pid, newPid: t.pid });
      exited(t.pid, await t.exited);
    });
  }
}

/** A spawn whose process comes later. */
function isPending(
  started: SpawnedProcess | PromiseLike<SpawnedProcess>,
): started is PromiseLike<SpawnedProcess> {
  return typeof (started as { then?: unknown }).then === "function";
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
