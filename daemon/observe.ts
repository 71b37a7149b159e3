/**
 * Wiring of what the daemon observes about itself for `initctl timeline`,
 * `status --verbose` and the metrics: the engine's state changes, the
 * spawner's exits, the events emitted and the RPC calls, all fed into one
 * {@linkcode Observed}. No engine logic here. See docs/seeing.md.
 *
 * @module
 */

import type { Effect, Instance, JobState } from "./engine/types.ts";
import { JobStats } from "./job_stats.ts";
import type { ExitStatus, ProcessSpawner, SpawnedProcess, SpawnRequest } from "./ports.ts";
import { Timeline } from "./timeline.ts";

/** RPC calls by method and result (`ok` or the error's code name). */
export class RpcCounts {
  readonly #counts = new Map<string, number>();

  /** Counts one call. */
  add(method: string, result: string): void {
    const k = `${method}\0${result}`;
    this.#counts.set(k, (this.#counts.get(k) ?? 0) + 1);
  }

  /** Every (method, result, count). */
  entries(): { method: string; result: string; count: number }[] {
    return [...this.#counts].map(([k, count]) => {
      const [method, result] = k.split("\0") as [string, string];
      return { method, result, count };
    });
  }
}

/** Everything observed. */
export class Observed {
  readonly timeline: Timeline;
  readonly stats: JobStats;
  readonly rpc: RpcCounts = new RpcCounts();
  /** Monotonic ms at start-up. */
  readonly startedAt: number;
  readonly #now: () => number;

  /**
   * @param now the monotonic clock, ms
   * @param capacity the timeline's size
   */
  constructor(now: () => number, capacity?: number) {
    this.#now = now;
    this.timeline = new Timeline(now, capacity);
    this.stats = new JobStats(now);
    this.startedAt = now();
  }

  /** The current monotonic time. */
  now(): number {
    return this.#now();
  }

  /** The engine's `onStateChange` observer. It never throws into the engine. */
  readonly onStateChange = (inst: Instance, from: JobState): void => {
    try {
      this.timeline.record({
        job: inst.cls.name,
        instance: inst.name,
        from,
        to: inst.state,
        goal: inst.goal === "stop" ? "stop" : "start",
        cause: from === "starting" ? causeJob(inst.env) : null,
      });
      this.stats.stateChanged(inst, from);
    } catch { /* an observer must not break the engine */ }
  };

  /** The driver's effect observer: counts emitted events. */
  readonly onEffect = (effect: Effect): void => {
    if (effect.type === "eventEmitted") this.stats.eventsEmitted++;
  };
}

/**
 * A spawner that reports every supervised process's exit to `observed`.
 *
 * @param inner the real spawner
 * @param observed where exits go
 * @returns the wrapping spawner
 */
export function observingSpawner(inner: ProcessSpawner, observed: Observed): ProcessSpawner {
  const watch = (req: SpawnRequest, spawned: SpawnedProcess): SpawnedProcess => {
    // Only the names live on until the exit, not the whole request (its sandbox, limits and
    // environment): one closure per running process.
    const { job, instance, process } = req;
    const report = (pid: number, status: ExitStatus) =>
      observed.stats.processExited(job, instance, process, pid, status);
    const { pid, exited, tracked } = spawned;
    if (tracked === null) {
      exited.then((s) => report(pid, s));
    } else {
      tracked.then(async (t) => {
        if (t === null) report(pid, await exited);
        else report(t.pid, await t.exited);
      });
    }
    return spawned;
  };
  return {
    spawn: (req: SpawnRequest): SpawnedProcess => watch(req, inner.spawn(req)),
    // What the inner spawner gave goes back as it is (a promise it settles at once stays so).
    ...(inner.spawnAsync === undefined ? {} : {
      spawnAsync: (req: SpawnRequest): SpawnedProcess | PromiseLike<SpawnedProcess> => {
        const started = inner.spawnAsync!(req);
        if (typeof (started as { then?: unknown }).then !== "function") {
          return watch(req, started as SpawnedProcess);
        }
        (started as PromiseLike<SpawnedProcess>).then((spawned) => watch(req, spawned), () => {});
        return started;
      },
    }),
    kill: (pid, signal, opts) => inner.kill(pid, signal, opts),
    // The optional abilities pass straight through (a re-exec adopts, logs flush, ...).
    ...(inner.adopt === undefined ? {} : { adopt: inner.adopt.bind(inner) }),
    ...(inner.keepAcrossExec === undefined
      ? {}
      : { keepAcrossExec: inner.keepAcrossExec.bind(inner) }),
    ...(inner.flushLogs === undefined ? {} : { flushLogs: inner.flushLogs.bind(inner) }),
    ...(inner.reportTo === undefined ? {} : { reportTo: inner.reportTo.bind(inner) }),
  };
}

/**
 * Handlers that count each call by method and result.
 *
 * @param handlers the handlers
 * @param counts where to count
 * @returns the same handlers, counted
 */
export function countedHandlers<H extends Record<string, (...args: never[]) => unknown>>(
  handlers: H,
  counts: RpcCounts,
): H {
  const out: Record<string, unknown> = {};
  for (const [method, fn] of Object.entries(handlers)) {
    out[method] = async (...args: never[]) => {
      try {
        const r = await fn(...args);
        counts.add(method, "ok");
        return r;
      } catch (e) {
        const code = (e as { codeName?: unknown }).codeName;
        counts.add(method, typeof code === "string" ? code : "error");
        throw e;
      }
    };
  }
  return out as H;
}

const JOB_EVENT_NAMES = new Set(["starting", "started", "stopping", "stopped"]);

/**
 * The job whose job event started an instance: its environment holds the
 * event's `JOB` when `UPSTART_EVENTS` names a job event (see docs/behaviour.md#environment,
 * docs/events.md#job-events).
 */
function causeJob(env: readonly string[]): string | null {
  const events = env.findLast((e) => e.startsWith("UPSTART_EVENTS="))?.slice(15).split(" ") ?? [];
  if (!events.some((e) => JOB_EVENT_NAMES.has(e))) return null;
  const job = env.findLast((e) => e.startsWith("JOB="))?.slice(4);
  return job === undefined || job === "" ? null : job;
}
