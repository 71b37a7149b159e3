/**
 * Drives the real {@linkcode EngineDriver} over an `Engine` with a `FakeSpawner`, a `FakeClock`
 * and a `FakeSecurity`, and records what tests assert on: emitted events with their environment,
 * log lines, waiter notifications and every effect.
 *
 * @module
 */

import { Engine, type EngineOptions } from "../../daemon/engine/engine.ts";
import type {
  Effect,
  ExitStatus,
  Input,
  LogLevel,
  NotifyResult,
  WaiterId,
} from "../../daemon/engine/types.ts";
import { EngineDriver } from "../../daemon/engine_driver.ts";
import { parseJobConfig } from "../../parser/parse_job.ts";
import type { JobClassSpec, ProcessName } from "../../parser/types.ts";
import { FakeClock } from "./fake_clock.ts";
import { FakeSecurity } from "./fake_security.ts";
import { type FakeProcess, FakeSpawner } from "./fake_spawner.ts";

/** Options of `EngineHarness`. */
export interface HarnessOptions {
  readonly engine?: EngineOptions;
  /** Fake processes die when signalled. @default true */
  readonly dieOnSignal?: boolean;
  /** Ends processes right after they are spawned (by returning a status). */
  readonly autoExit?: (p: FakeProcess) => ExitStatus | null;
  /** Spawns stay under way (no pid) until `spawner.releaseSpawns()`. @default false */
  readonly holdSpawns?: boolean;
}

/**
 * Parses job files given as `{name: text}`.
 *
 * @param files job name → file contents
 * @returns the specs, in the record's order
 */
export function jobs(files: Record<string, string>): JobClassSpec[] {
  return Object.entries(files).map(([name, text]) => parseJobConfig(text, { name }));
}

/** An engine and its driver wired to fakes. */
export class EngineHarness {
  readonly engine: Engine;
  readonly driver: EngineDriver;
  readonly clock: FakeClock = new FakeClock();
  readonly spawner: FakeSpawner;
  readonly security: FakeSecurity = new FakeSecurity();
  /** Every event emitted, as `NAME K=V K=V` lines. */
  readonly events: string[] = [];
  readonly logs: { level: LogLevel; message: string }[] = [];
  readonly notifications = new Map<WaiterId, NotifyResult>();
  /** Every effect, in order. */
  readonly effects: Effect[] = [];
  /** Everything the driver wrote to its log port (log effects, handled events, its complaints). */
  readonly driverLog: { level: string; message: string }[] = [];

  /**
   * @param classes job specs, or job files as `{name: text}`
   * @param options engine options and fake process behaviour
   */
  constructor(classes: JobClassSpec[] | Record<string, string>, options: HarnessOptions = {}) {
    this.engine = new Engine(options.engine);
    this.spawner = new FakeSpawner({
      dieOnSignal: options.dieOnSignal ?? true,
      ...(options.autoExit === undefined ? {} : { autoExit: options.autoExit }),
      ...(options.holdSpawns === undefined ? {} : { holdSpawns: options.holdSpawns }),
    });
    this.driver = new EngineDriver(this.engine, {
      spawner: this.spawner,
      clock: this.clock,
      security: this.security,
      log: (level, message) => this.driverLog.push({ level, message }),
      observe: (effect) => this.#record(effect),
    }, { defaultConsole: "log", logDir: null, umask: 0o022, chdir: null });
    const specs = Array.isArray(classes) ? classes : jobs(classes);
    this.apply(this.engine.setClasses(specs));
  }

  #record(effect: Effect): void {
    this.effects.push(effect);
    switch (effect.type) {
      case "eventEmitted":
        this.events.push([effect.name, ...effect.env].join(" "));
        break;
      case "notify":
        this.notifications.set(effect.waiterId, effect.result);
        break;
      case "log":
        this.logs.push({ level: effect.level, message: effect.message });
        break;
    }
  }

  /** Applies effects through the driver, then drains every input they caused. */
  apply(effects: readonly Effect[]): void {
    this.driver.apply(effects);
  }

  /** Queues an input for the engine (processed after the current effects). */
  feed(input: Input): void {
    this.driver.feed(input);
  }

  /** `initctl start`. */
  start(job: string, env: string[] = [], waiterId?: WaiterId): void {
    this.apply(this.engine.start(job, env, waiterId === undefined ? {} : { waiterId }));
  }

  /** `initctl stop`. */
  stop(job: string, env: string[] = [], waiterId?: WaiterId): void {
    this.apply(this.engine.stop(job, env, waiterId === undefined ? {} : { waiterId }));
  }

  /** `initctl restart`. */
  restart(job: string, env: string[] = [], waiterId?: WaiterId): void {
    this.apply(this.engine.restart(job, env, waiterId === undefined ? {} : { waiterId }));
  }

  /** `initctl emit`. */
  emit(name: string, env: string[] = [], waiterId?: WaiterId): void {
    this.apply(this.engine.emit(name, env, waiterId === undefined ? {} : { waiterId }));
  }

  /** Advances the fake clock, firing due timers. */
  advance(ms: number): void {
    this.clock.advance(ms);
  }

  /**
   * The pid of a live process of a job.
   *
   * @throws {Error} when there is none
   */
  pid(job: string, process: ProcessName = "main", instance?: string): number {
    const p = this.spawner.find(job, process, instance);
    if (p === undefined) throw new Error(`Cannot find a live ${process} process of ${job}`);
    return p.pid;
  }

  /** Ends a live process of a job with an exit code. */
  exit(job: string, process: ProcessName = "main", code = 0, instance?: string): void {
    this.spawner.exit(this.pid(job, process, instance), code);
  }

  /** Kills a live process of a job with a signal, as from outside. */
  signal(job: string, name: string, process: ProcessName = "main", instance?: string): void {
    this.spawner.killBySignal(this.pid(job, process, instance), name);
  }

  /** `goal/state` of an instance, as `initctl status` shows it. */
  state(job: string, env: string[] = []): string {
    const s = this.engine.status(job, env);
    return `${s.goal}/${s.state}`;
  }

  /** Events emitted from now on only. */
  clearEvents(): void {
    this.events.length = 0;
  }

  /**
   * The state changes logged for an instance, as `from>to`.
   *
   * @param display the instance's display name, e.g. `svc` or `inst (a)`
   */
  stateChanges(display: string): string[] {
    const prefix = `${display} state changed from `;
    return this.logs.filter((l) => l.message.startsWith(prefix)).map((l) =>
      l.message.slice(prefix.length).replace(" to ", ">")
    );
  }

  /** Forget recorded events, logs and effects. */
  clear(): void {
    this.events.length = 0;
    this.logs.length = 0;
    this.effects.length = 0;
  }

  /** Messages logged at or above a level. */
  messages(level: LogLevel = "info"): string[] {
    const rank = ["debug", "info", "message", "warn", "error"];
    return this.logs.filter((l) => rank.indexOf(l.level) >= rank.indexOf(level)).map((l) =>
      l.message
    );
  }
}
