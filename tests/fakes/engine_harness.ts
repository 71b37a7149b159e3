/**
 * Drives an `Engine` with a `FakeSpawner` and a `FakeClock`, applying every effect the way the
 * daemon would (spawn → `spawned`, timers → `timer`), and records what tests assert on: emitted
 * events with their environment, log lines, kills and waiter notifications.
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
import { parseJobConfig } from "../../parser/parse_job.ts";
import type { JobClassSpec, ProcessName } from "../../parser/types.ts";
import { FakeClock } from "./fake_clock.ts";
import { type FakeProcess, FakeSpawner } from "./fake_spawner.ts";

/** Options of `EngineHarness`. */
export interface HarnessOptions {
  readonly engine?: EngineOptions;
  /** Fake processes die when signalled. @default true */
  readonly dieOnSignal?: boolean;
  /** Ends processes right after they are spawned (by returning a status). */
  readonly autoExit?: (p: FakeProcess) => ExitStatus | null;
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

/** An engine wired to fakes. */
export class EngineHarness {
  readonly engine: Engine;
  readonly clock: FakeClock;
  readonly spawner: FakeSpawner;
  /** Every event emitted, as `NAME K=V K=V` lines. */
  readonly events: string[] = [];
  readonly logs: { level: LogLevel; message: string }[] = [];
  readonly notifications = new Map<WaiterId, NotifyResult>();
  /** Every effect, in order. */
  readonly effects: Effect[] = [];
  readonly #queue: Input[] = [];
  #pumping = false;

  /**
   * @param classes job specs, or job files as `{name: text}`
   * @param options engine options and fake process behaviour
   */
  constructor(classes: JobClassSpec[] | Record<string, string>, options: HarnessOptions = {}) {
    this.engine = new Engine(options.engine);
    this.clock = new FakeClock({ onFire: (id) => this.feed({ type: "timer", id }) });
    this.spawner = new FakeSpawner({
      sink: (input) => this.feed(input),
      now: () => this.clock.now,
      dieOnSignal: options.dieOnSignal ?? true,
      ...(options.autoExit === undefined ? {} : { autoExit: options.autoExit }),
    });
    const specs = Array.isArray(classes) ? classes : jobs(classes);
    this.apply(this.engine.setClasses(specs));
  }

  /** Applies effects, then feeds back every input they caused. */
  apply(effects: readonly Effect[]): void {
    for (const effect of effects) {
      this.effects.push(effect);
      switch (effect.type) {
        case "spawn":
          this.spawner.spawn(effect);
          break;
        case "kill":
          this.spawner.kill(effect);
          break;
        case "armTimer":
          this.clock.arm(effect.id, effect.ms);
          break;
        case "cancelTimer":
          this.clock.cancel(effect.id);
          break;
        case "eventEmitted":
          this.events.push([effect.name, ...effect.env].join(" "));
          break;
        case "notify":
          this.notifications.set(effect.waiterId, effect.result);
          break;
        case "log":
          this.logs.push({ level: effect.level, message: effect.message });
          break;
        case "loadSecurity":
          break;
      }
    }
    this.#pump();
  }

  /** Queues an input for the engine (processed after the current effects). */
  feed(input: Input): void {
    this.#queue.push(input);
    this.#pump();
  }

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (let input = this.#queue.shift(); input !== undefined; input = this.#queue.shift()) {
        this.apply(this.engine.dispatch(input));
      }
    } finally {
      this.#pumping = false;
    }
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
