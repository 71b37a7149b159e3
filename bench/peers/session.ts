/**
 * One benchmark session: one manager, N services, from launch to clean-up.
 *
 * Steps, in order: the configuration is written and left to age for a second;
 * (a) cold start, timed from the launch until the status
 * command reports all N running and, separately, until all N service
 * processes exist; a settle pause; (b) PSS of the manager's own processes;
 * (c) latency of whole list-command calls; (d) restart of one service until a
 * new service process exists; (e) SIGKILL of one service until a new process
 * exists and until the manager reports the new pid; (f) stop of everything
 * until no service process is left. Restart and respawn use a different
 * service for every sample, none touched since the cold start, so runit's and
 * s6's one-second restart throttle for young services never applies.
 *
 * Process existence is checked by polling the process table below the bench's
 * own pid (`proc.ts`), status by calling the manager's own command in a loop.
 *
 * @module
 */

import { killAllDescendants, reapOrphans } from "./exec.ts";
import { delay, type Manager, serviceName, within } from "./manager.ts";
import { countFds, measurePss, parentOf, scanProcesses, ServiceFinder } from "./proc.ts";

/**
 * What a session measures. Times are milliseconds; `pss` is KiB; `fds` is the descriptors the
 * manager's own processes hold, divided by N.
 */
export type Metric =
  | "cold-status"
  | "cold-procs"
  | "pss"
  | "list"
  | "restart"
  | "respawn-procs"
  | "respawn-status"
  | "stop"
  | "fds";

/** Every metric, in table order. */
export const METRICS: readonly Metric[] = [
  "cold-status",
  "cold-procs",
  "pss",
  "list",
  "restart",
  "respawn-procs",
  "respawn-status",
  "stop",
  "fds",
];

/** How much to measure in one session. */
export interface SessionPlan {
  readonly n: number;
  readonly listSamples: number;
  readonly restartSamples: number;
  readonly respawnSamples: number;
  /**
   * Pause between writing the configuration and the launch. runsvdir skips a
   * service directory modified within the current second, so a fresh one would
   * cost runit a second that a real boot never pays.
   */
  readonly configAgeMs: number;
  /** Pause once all N run, before the steady-state measurements. */
  readonly settleMs: number;
  /** Longest wait for the cold start. */
  readonly coldTimeoutMs: number;
  /** Longest wait for any other step. */
  readonly stepTimeoutMs: number;
}

/** The samples of one session. */
export interface SessionResult {
  readonly samples: Partial<Record<Metric, number[]>>;
  /** Which processes the PSS figure counts, e.g. `runsvdir + 100 runsv`. */
  readonly memoryScope: string;
}

/** A session step that failed or timed out. */
export class SessionError extends Error {
  /** The step that failed, e.g. `"cold start"`. */
  readonly step: string;

  constructor(step: string, message: string) {
    super(`Cannot complete ${step}: ${message}`);
    this.name = "SessionError";
    this.step = step;
  }
}

/** How often to look, and for how long. */
interface PollOptions {
  readonly timeoutMs: number;
  /** Pause between two probes, in ms. */
  readonly intervalMs: number;
  /**
   * Pause at least as long as the last probe took. For the in-process scans
   * of the process table, so that a costly scan never takes more than half a
   * core away from the manager under test; status commands are separate
   * processes whose cost is part of "until the manager reports it".
   */
  readonly adaptive: boolean;
}

/** Time between two polls of the process table, in ms. */
const PROC_POLL_MS = 2;
/** Time between two calls of a status command, in ms. */
const STATUS_POLL_MS = 5;

/**
 * Calls `probe` until it returns non-null and returns that value with the time
 * it was seen (`performance.now()`).
 *
 * @throws {SessionError} after `timeoutMs`.
 */
async function pollUntil<T>(
  step: string,
  probe: () => T | null | Promise<T | null>,
  opts: PollOptions,
): Promise<{ value: T; at: number }> {
  const until = performance.now() + opts.timeoutMs;
  for (;;) {
    const began = performance.now();
    const value = await probe();
    const at = performance.now();
    if (value !== null) return { value, at };
    if (at > until) throw new SessionError(step, `no result after ${opts.timeoutMs} ms`);
    await delay(opts.adaptive ? Math.max(opts.intervalMs, at - began) : opts.intervalMs);
  }
}

function countRunning(map: ReadonlyMap<string, number>, n: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (map.has(serviceName(i))) k++;
  return k;
}

function hasNewPid(now: ReadonlySet<number>, before: ReadonlySet<number>): boolean {
  for (const pid of now) if (!before.has(pid)) return true;
  return false;
}

/**
 * Runs one whole session in the empty directory `dir` and cleans up: the
 * manager's teardown, then SIGKILL for anything still alive below the bench.
 *
 * @throws {SessionError} when a step fails; clean-up has run by then.
 */
export async function runSession(
  m: Manager,
  dir: string,
  plan: SessionPlan,
): Promise<SessionResult> {
  const { n } = plan;
  const samples: Partial<Record<Metric, number[]>> = {};
  const add = (metric: Metric, v: number) => (samples[metric] ??= []).push(v);
  const finder = new ServiceFinder(Deno.pid);
  const procs = () => {
    const services = finder.services();
    reapOrphans();
    return services;
  };
  // A restarted or respawned service comes back under the same supervisor: watch only that
  // process's children (one read), or the whole tree once the supervisor is gone.
  const watcher = (old: number) => {
    const parent = parentOf(old);
    return () => (parent === null ? null : finder.servicesUnder(parent)) ?? procs();
  };
  const step = { timeoutMs: plan.stepTimeoutMs, intervalMs: PROC_POLL_MS, adaptive: true };
  const statusStep = { timeoutMs: plan.stepTimeoutMs, intervalMs: STATUS_POLL_MS, adaptive: false };
  let memoryScope = "";

  if (procs().size !== 0) throw new SessionError("setup", "service processes are left over");
  await m.setup(dir, n);
  await delay(plan.configAgeMs);
  let failure: { error: unknown } | null = null;
  try {
    // (a) cold start
    const t0 = performance.now();
    await m.start();
    const cold = { ...step, timeoutMs: plan.coldTimeoutMs };
    const coldStatus = { ...statusStep, timeoutMs: plan.coldTimeoutMs };
    const list = m.list?.bind(m);
    const [byProcs, byStatus] = await Promise.all([
      pollUntil("cold start (processes)", () => (procs().size >= n ? true : null), cold),
      list === undefined ? null : pollUntil("cold start (status)", async () => {
        const map = await list().catch(() => null);
        return map !== null && countRunning(map, n) === n ? map : null;
      }, coldStatus),
    ]);
    add("cold-procs", byProcs.at - t0);
    if (byStatus !== null) add("cold-status", byStatus.at - t0);
    await delay(plan.settleMs);
    const running = procs().size;
    if (running !== n) throw new SessionError("cold start", `${running} of ${n} services run`);

    // (b) memory
    const pss = measurePss(await m.managerPids(), scanProcesses());
    if (pss.kib <= 0) throw new SessionError("memory", "no manager process found");
    add("pss", pss.kib);
    memoryScope = pss.scope;
    add("fds", countFds(await m.managerPids()) / n);

    // (c) list latency
    if (list !== undefined) {
      for (let k = 0; k < plan.listSamples; k++) {
        const t = performance.now();
        const map = await list();
        add("list", performance.now() - t);
        const seen = countRunning(map, n);
        if (seen !== n) throw new SessionError("list", `it reported ${seen} of ${n} running`);
      }
    }

    // (d) restart
    if (m.restart !== undefined && m.reportedPid !== undefined) {
      for (let k = 0; k < plan.restartSamples; k++) {
        const old = await m.reportedPid(k);
        const before = procs();
        if (old === null || !before.has(old)) {
          throw new SessionError("restart", `${serviceName(k)} has no reported live pid`);
        }
        const watch = watcher(old);
        const t = performance.now();
        const cmd = m.restart(k);
        cmd.catch(() => {});
        const seen = await pollUntil(
          "restart",
          () => (hasNewPid(watch(), before) ? true : null),
          step,
        );
        add("restart", seen.at - t);
        await cmd;
        await waitReported(m, { step: "restart (reported)", i: k, old, poll: statusStep });
      }
    }

    // (e) respawn after SIGKILL
    for (let k = 0; k < plan.respawnSamples; k++) {
      const i = plan.restartSamples + k;
      const before = procs();
      const old = m.reportedPid === undefined
        ? [...before].sort((a, b) => a - b)[k] ?? null
        : await m.reportedPid(i);
      if (old === null || !before.has(old)) {
        throw new SessionError("respawn", `${serviceName(i)} has no live pid`);
      }
      const watch = watcher(old);
      const t = performance.now();
      Deno.kill(old, "SIGKILL");
      const [seen, reported] = await Promise.all([
        pollUntil("respawn (process)", () => (hasNewPid(watch(), before) ? true : null), step),
        m.reportedPid === undefined
          ? null
          : waitReported(m, { step: "respawn (reported)", i, old, poll: statusStep }),
      ]);
      add("respawn-procs", seen.at - t);
      if (reported !== null) add("respawn-status", reported.at - t);
    }

    // (f) stop everything
    const t = performance.now();
    const stopping = m.stopAll();
    stopping.catch(() => {});
    const gone = await pollUntil("stop", () => (procs().size === 0 ? true : null), step);
    add("stop", gone.at - t);
    await within(stopping, plan.stepTimeoutMs);
  } catch (e) {
    failure = { error: e };
  }
  await within(m.teardown(), plan.stepTimeoutMs);
  const left = await killAllDescendants();
  if (failure !== null) throw failure.error;
  if (left > 0) throw new SessionError("clean-up", `${left} processes survived SIGKILL`);
  return { samples, memoryScope };
}

/** Polls the manager until it reports service `i` running under a pid other than `old`. */
function waitReported(
  m: Manager,
  opts: { step: string; i: number; old: number; poll: PollOptions },
): Promise<{ value: number; at: number }> {
  return pollUntil(opts.step, async () => {
    const pid = await m.reportedPid!(opts.i).catch(() => null);
    return pid !== null && pid !== opts.old ? pid : null;
  }, opts.poll);
}
