/**
 * What `initctl status --verbose` and the metrics tell about each instance
 * beyond its state: when it last started and came up, how often it
 * respawned, how its last process ended, which events started it. Fed by the
 * engine's state-change observer and the spawner's exits; bounded. See
 * docs/seeing.md#status---verbose.
 *
 * @module
 */

import type { ProcessName } from "../parser/types.ts";
import type { ExitStatus, Instance, JobState } from "./engine/types.ts";

/** The facts kept for one instance. */
export interface InstanceFacts {
  readonly job: string;
  readonly instance: string;
  /** Monotonic ms of the last entry into `starting`; null before any. */
  readonly startingAt: number | null;
  /** Monotonic ms of the last entry into `running`; null when not running since. */
  readonly runningAt: number | null;
  /** ms from `starting` to `running` of the last start; null before any. */
  readonly startDurationMs: number | null;
  /** How many times the main process was respawned. */
  readonly respawns: number;
  /** The last exit of one of its processes. */
  readonly lastExit: {
    readonly process: ProcessName;
    readonly pid: number;
    readonly status: ExitStatus;
    readonly at: number;
  } | null;
  /** The events that started the last run (`UPSTART_EVENTS`); empty when started by hand. */
  readonly startEvents: readonly string[];
}

/** How many instances' facts are kept (oldest forgotten first). */
export const MAX_INSTANCES = 10_000;

/** No events (started by hand); shared, never modified. */
const NO_EVENTS: readonly string[] = Object.freeze([]);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function key(job: string, instance: string): string {
  return `${job}\0${instance}`;
}

/** Per-instance facts and daemon-wide counters. */
export class JobStats {
  readonly #now: () => number;
  readonly #facts = new Map<string, Mutable<InstanceFacts>>();
  #lastEntry = "UPSTART_EVENTS=";
  #lastList: readonly string[] = NO_EVENTS;
  /** Events emitted since start-up (job events included). */
  eventsEmitted = 0;

  /** @param now the monotonic clock, ms */
  constructor(now: () => number) {
    this.#now = now;
  }

  #get(job: string, instance: string): Mutable<InstanceFacts> {
    const k = key(job, instance);
    let f = this.#facts.get(k);
    if (f === undefined) {
      f = {
        job,
        instance,
        startingAt: null,
        runningAt: null,
        startDurationMs: null,
        respawns: 0,
        lastExit: null,
        startEvents: NO_EVENTS,
      };
      this.#facts.set(k, f);
      if (this.#facts.size > MAX_INSTANCES) {
        this.#facts.delete(this.#facts.keys().next().value as string);
      }
    }
    return f;
  }

  /** The engine's observer: the instance is already in its new state. */
  stateChanged(inst: Instance, from: JobState): void {
    const f = this.#get(inst.cls.name, inst.name);
    // The clock is read only for the states that keep a time (a start makes six changes).
    switch (inst.state) {
      case "starting":
        f.startingAt = this.#now();
        f.runningAt = null;
        break;
      case "running": {
        const now = this.#now();
        f.runningAt = now;
        if (f.startingAt !== null) f.startDurationMs = now - f.startingAt;
        break;
      }
      case "stopping":
        // The main process ended while the goal stayed start: Upstart's respawn (see
        // docs/behaviour.md#respawn).
        if (inst.goal !== "stop" && !inst.restarting && from === "running") f.respawns++;
        f.runningAt = null;
        break;
    }
    // The instance environment is installed on entering `starting`: read it once past it.
    if (from === "starting") {
      const events = inst.env.findLast((e) => e.startsWith("UPSTART_EVENTS="));
      f.startEvents = events === undefined ? NO_EVENTS : this.#eventList(events);
    }
  }

  /**
   * The names in an `UPSTART_EVENTS=` entry. The list of the entry seen last is reused: the
   * jobs a burst starts (`startup`, a runlevel) share one array rather than one each.
   */
  #eventList(entry: string): readonly string[] {
    if (entry !== this.#lastEntry) {
      this.#lastEntry = entry;
      this.#lastList = entry === "UPSTART_EVENTS="
        ? NO_EVENTS
        : Object.freeze(entry.slice("UPSTART_EVENTS=".length).split(" "));
    }
    return this.#lastList;
  }

  /** A process of the instance ended. */
  processExited(
    job: string,
    instance: string,
    process: ProcessName,
    pid: number,
    status: ExitStatus,
  ): void {
    this.#get(job, instance).lastExit = { process, pid, status, at: this.#now() };
  }

  /** The facts of one instance, if any were recorded. */
  get(job: string, instance: string): InstanceFacts | undefined {
    return this.#facts.get(key(job, instance));
  }

  /** Every instance's facts. */
  all(): InstanceFacts[] {
    return [...this.#facts.values()];
  }
}
