/**
 * The issue's performance targets for daybreak, checked against a run's medians: which are met,
 * by how much each misses, and (from profiling, see docs/benchmarks.md) what limits it and what
 * would close the gap. Also measures the reference the `initctl list` target is stated against:
 * a bare `deno run` of a one-line script.
 *
 * @module
 */

import type { BenchReport, ManagerRecord } from "./report.ts";
import type { Metric } from "./session.ts";
import { median } from "./stats.ts";

/** The N the targets are stated at, and the smaller N the per-job memory growth is taken from. */
export const TARGET_N = 500;
const SMALL_N = 100;

/** One target's verdict. */
export interface TargetResult {
  /** What is measured, e.g. `cold start → all N running`. */
  readonly name: string;
  /** The goal in words, e.g. `≤ 1.5× the C floor (≤ 158 ms)`. */
  readonly goal: string;
  /** The measured figure in words, `–` when not measured. */
  readonly measured: string;
  /** null when the run lacks a figure needed. */
  readonly met: boolean | null;
  /** How far from the goal, in words. */
  readonly margin: string;
  /** What limits the figure and what would close the gap. */
  readonly analysis: string;
}

/** What limits each figure (from profiles of the daemon; see the module doc). */
const ANALYSIS = {
  cold: "Each job is one `posix_spawn` through FFI (daemon/supervisor/fd_spawner.ts): " +
    "POSIX_SPAWN_SETSID, an empty mask and default dispositions, stdout and stderr on one " +
    "pipe, no ChildProcess, no streams. glibc's posix_spawn is vfork-like: the calling thread " +
    "waits until the child has called setsid() and exec'd, and that wait is most of a spawn's " +
    "cost (setsid() also creates a scheduler autogroup, kernel.sched_autogroup_enabled = 1 " +
    "here; the floor's children do not call it). A burst of spawns now makes that call on " +
    "Deno's blocking threads (ProcessSpawner.spawnAsync: 8 in flight, the rest queued; the " +
    "engine holds a process being spawned as pid 0 until its pid arrives), so the spawns " +
    "overlap with each other and with the daemon's own work: 500 `console log` spawns take a " +
    "median 459 ms that way against 1263 ms on the JS thread (bench/spawn_bench.ts, loaded " +
    "2-core machine). A lone spawn (a respawn, a start) and a sandboxed one stay on the JS " +
    "thread. Before the first spawn come Deno's start-up and the modules (about 220 ms on a " +
    "quiet machine), then the 500 job files (read on the JS thread: an asynchronous read " +
    "cost more in waking a blocking thread than the read) and the startup event; " +
    "bench/cold_start_bench.ts --timeline splits a cold start into these phases. The daemon " +
    "is CPU-bound on its JS thread: of about 1.1 s of daemon CPU at N = 500 (loaded 2-core " +
    "machine), the JS thread has about 0.8 s user and 0.1 s system, V8's worker threads " +
    "(concurrent GC and compilation) about 0.25 s, the spawning threads almost nothing; one " +
    "job costs the JS thread about 1.6 ms, the first ones more (cold code, and Deno's Node " +
    "layer loaded at the first timer). A V8 --prof of a cold start (its samples count wall " +
    "time on the JS thread) puts about 20% of them in issuing the non-blocking posix_spawnp " +
    "calls, yet one such call costs the JS thread only 10–25 µs of CPU (5,000 calls to a " +
    "trivial function measured alone): that 20% is the JS thread waiting for a CPU while the " +
    "thread it woke and the child it creates run. Another 20% has no JS frame (Deno's event " +
    "loop, promise jobs, GC), the engine (events, transitions, timeline, job stats) about " +
    "11%, the spawn's preparation about 9%, Deno's Node layer 6%. " +
    "Preparing a spawn now takes one shared posix_spawnattr_t (made once per signal state) " +
    "and argv and envp in one buffer with one pointer array: bench/spawn_bench.ts, 500 " +
    "synchronous spawns, 180 ms of CPU against 190–270 ms before (medians of 3, twice).",
  memory: "About 28 MB is any Deno process, mostly the deno binary's own pages (shared with " +
    "the bench's own deno here, so PSS counts part of them); the daemon's code and heap bring " +
    "it to about 33 MB before any job. Per job (bench/memory_bench.ts, V8 heap after a full " +
    "GC): about 5.5 kB of heap: the instance and its class's parsed spec (empty lists and " +
    "defaults shared), the `start on` state (its compiled plan shared by every expression of " +
    "the same shape), the log pipe reader and its LogFile, the process's exit watch (promises " +
    "and closures in the spawner, the driver and the observer), the status facts and six " +
    "timeline changes (both bounded at 10,000). Right after a burst the heap also holds the " +
    "burst's garbage: one compacting GC once spawns have been quiet for 300 ms returns it " +
    "(daemon/heap_trim.ts, docs/behaviour.md#memory).",
  list: "initctl is itself a Deno process: a bare `deno run` (the reference above) plus its " +
    "modules (the client, the reply schemas built with zod's mini API, the table renderer; " +
    "no `node:` module, docs/platform.md#start-up-costs). The daemon accepts on a raw socket " +
    "(daemon/rpc/raw_listener.ts: accept4 in its one poll loop, SO_PEERCRED read on the " +
    "accepted fd, O(1) whatever the number of jobs) and answers `list` for 500 jobs in a few " +
    "ms; the rest is the client's own start-up. From the dist/ bundle (`deno task dist`) " +
    "initctl starts about 8 ms sooner than from the TypeScript sources measured here.",
  restart: "A bare `deno run` of a one-line script already takes longer than the 25 ms " +
    "target on this machine (see above), and initctl is a Deno process: its start-up is " +
    "most of the figure. In the daemon the stop, the kill, the exit (SIGCHLD, then waitpid by " +
    "pid) and the new spawn (a lone spawn, made at once on the JS thread) take a few ms. " +
    "runit's `sv` is a small C program; matching it needs a client that starts faster than " +
    "any Deno process does.",
  respawn: "The exit reaches the daemon as SIGCHLD: Deno's signal listener runs the reaper, " +
    "which asks waitid(WNOWAIT) which child ended and reaps that pid alone (no scan of all " +
    "children); the engine's respawn and the new posix_spawn follow in the same turn, with " +
    "no timer or later turn between the exit and the spawn. Measured inside the daemon (20 " +
    "jobs, kill -9 from a C poller that then looks for the new pid every 50 µs, loaded 2-core " +
    "machine): kill -9 to Deno's signal listener about 0.7–0.9 ms (the signal goes through " +
    "Deno's signal thread, then wakes the JS thread), reaping 0.05–0.3 ms, the exit's " +
    "promise chain 0.05–0.1 ms, the engine (stopping, killed, post-stop, starting, two log " +
    "lines) about 0.4 ms, the spawn's preparation about 0.25 ms, then the clone; kill -9 to " +
    "the new pid seen: median 2.3–3.3 ms. The bench's own detection (a scan of the process " +
    "table) adds the rest. A pidfd or a signalfd in the poll loop (not tried) would " +
    "still cross a thread: the loop's wait is itself a non-blocking FFI call on a blocking " +
    "thread, which then wakes the JS thread.",
  stop: "Every job's killpg() runs on the JS thread, and on a 2-core machine each signalled " +
    "process exits on the CPUs the daemon needs; the exits come back in batches (one " +
    "waitid/waitpid pair each per SIGCHLD turn) and the log pipes' EOFs in batches of the " +
    "one epoll wait, each exit running the engine's exit handling and closing a log. The " +
    "floor only kills and reaps. Measured alone: 500 `console log` jobs killed and reaped " +
    "in 47 ms.",
  fds: "One pipe per `console log` job: its stdout and stderr share the write end, and the " +
    "daemon keeps the read end in its one epoll set; no pidfd (exits come from SIGCHLD and " +
    "waitpid by pid). The figure divides every descriptor of the daemon, its fixed ones " +
    "included, by N.",
} as const;

function samplesOf(rec: ManagerRecord | undefined, n: number, metric: Metric): number[] {
  return rec?.samples.get(n)?.[metric] ?? [];
}

function med(samples: readonly number[]): number | null {
  return samples.length === 0 ? null : median(samples);
}

const ms = (v: number) => `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ms`;
const mb = (kib: number) => `${(kib * 1024 / 1e6).toFixed(1)} MB`;

function verdict(value: number | null, limit: number | null, unit: (v: number) => string): {
  met: boolean | null;
  margin: string;
} {
  if (value === null || limit === null) return { met: null, margin: "not measured" };
  if (value <= limit) return { met: true, margin: `${unit(limit - value)} to spare` };
  return {
    met: false,
    margin: `${unit(value - limit)} over (${(value / limit).toFixed(1)}× the limit)`,
  };
}

/** Checks every target against the run; `bareDeno` holds the reference `deno run` samples. */
export function evaluateTargets(
  report: BenchReport,
  bareDeno: readonly number[],
): TargetResult[] {
  const us = report.managers.find((m) => m.name === "daybreak");
  const floor = report.managers.find((m) => m.name.startsWith("floor"));
  const n = TARGET_N;
  const out: TargetResult[] = [];

  const cold = med(samplesOf(us, n, "cold-status"));
  const floorCold = med(samplesOf(floor, n, "cold-procs"));
  const coldLimit = floorCold === null ? null : 1.5 * floorCold;
  out.push({
    name: `cold start → all ${n} running`,
    goal: `≤ 1.5× the C floor${coldLimit === null ? "" : ` (≤ ${ms(coldLimit)})`}`,
    measured: cold === null ? "–" : ms(cold),
    ...verdict(cold, coldLimit, ms),
    analysis: ANALYSIS.cold,
  });

  const pss = med(samplesOf(us, n, "pss"));
  // Growth per job: from N to the largest N measured above it (2,000), else from the smaller N.
  const bigN = Math.max(...report.ns);
  const [fromN, toN] = bigN > n ? [n, bigN] : [SMALL_N, n];
  const pssFrom = med(samplesOf(us, fromN, "pss"));
  const pssTo = med(samplesOf(us, toN, "pss"));
  const perJob = pssFrom === null || pssTo === null ? null : (pssTo - pssFrom) / (toN - fromN);
  const total = verdict(pss, 50e6 / 1024, mb);
  const growth = verdict(perJob, 10e3 / 1024, (kib) => `${(kib * 1.024).toFixed(1)} kB`);
  out.push({
    name: `daemon memory (PSS) at N = ${n}, and per extra job`,
    goal: "≤ 50 MB, growing ≤ 10 kB per job",
    measured: `${pss === null ? "–" : mb(pss)}; ${
      perJob === null ? "–" : `${(perJob * 1.024).toFixed(1)} kB per job (N ${fromN}→${toN})`
    }`,
    met: total.met === null || growth.met === null ? null : total.met && growth.met,
    margin: `total: ${total.margin}; per job: ${growth.margin}`,
    analysis: ANALYSIS.memory,
  });

  const list = med(samplesOf(us, n, "list"));
  const bare = med(bareDeno);
  const listLimit = bare === null ? null : 2 * bare;
  out.push({
    name: `\`initctl list\` with ${n} jobs, whole process`,
    goal: `≤ 2× a bare \`deno run\` of a one-line script${
      bare === null ? "" : ` (${ms(bare)} here: ≤ ${ms(listLimit!)})`
    }`,
    measured: list === null ? "–" : ms(list),
    ...verdict(list, listLimit, ms),
    analysis: ANALYSIS.list,
  });

  const runit = report.managers.find((m) => m.name === "runit");
  const restart = med(samplesOf(us, n, "restart"));
  const runitRestart = med(samplesOf(runit, n, "restart"));
  const restartLimit = runitRestart === null ? 25 : Math.min(25, runitRestart);
  out.push({
    name: "restart one job, CLI included",
    goal: runitRestart === null
      ? "≤ 25 ms"
      : `≤ 25 ms, and ≤ runit's \`sv restart\` (${ms(runitRestart)} here)`,
    measured: restart === null ? "–" : ms(restart),
    ...verdict(restart, restartLimit, ms),
    analysis: ANALYSIS.restart,
  });

  const respawn = med(samplesOf(us, n, "respawn-procs"));
  const runitRespawn = med(samplesOf(runit, n, "respawn-procs"));
  const respawnLimit = runitRespawn === null ? 10 : Math.min(10, runitRespawn);
  out.push({
    name: "respawn after `kill -9`, until the new process exists",
    goal: runitRespawn === null ? "≤ 10 ms" : `≤ 10 ms, and ≤ runit's (${ms(runitRespawn)} here)`,
    measured: respawn === null ? "–" : ms(respawn),
    ...verdict(respawn, respawnLimit, ms),
    analysis: ANALYSIS.respawn,
  });

  const stop = med(samplesOf(us, n, "stop"));
  const floorStop = med(samplesOf(floor, n, "stop"));
  const stopLimit = floorStop === null ? null : 3 * floorStop;
  out.push({
    name: `stop all ${n}`,
    goal: `≤ 3× the floor's kill-and-reap time${stopLimit === null ? "" : ` (≤ ${ms(stopLimit)})`}`,
    measured: stop === null ? "–" : ms(stop),
    ...verdict(stop, stopLimit, ms),
    analysis: ANALYSIS.stop,
  });

  return out;
}

/** The descriptors-per-job target (a figure the first targets table did not have). */
export function evaluateFdTarget(report: BenchReport): TargetResult {
  const us = report.managers.find((m) => m.name === "daybreak");
  const n = TARGET_N;
  const fds = med(samplesOf(us, n, "fds"));
  return {
    name: "descriptors held per job (`console log`)",
    goal: "≤ 2",
    measured: fds === null ? "–" : `${fds.toFixed(2)} (all the daemon's fds / ${n})`,
    ...verdict(fds, 2, (v) => v.toFixed(2)),
    analysis: ANALYSIS.fds,
  };
}

/** The "Targets" section of the document. */
export function renderTargets(results: readonly TargetResult[]): string[] {
  const out = [
    "| target | goal | measured | verdict |",
    "| --- | --- | --- | --- |",
  ];
  for (const r of results) {
    const v = r.met === null ? "not measured" : r.met ? "met" : "missed";
    out.push(`| ${r.name} | ${r.goal} | ${r.measured} | ${v}: ${r.margin} |`);
  }
  out.push("");
  for (const r of results) out.push(`- **${r.name}**: ${r.analysis}`);
  return out;
}

/**
 * Wall-clock times of `deno run` on a one-line script (the `initctl list` reference), run
 * with the bench's own deno and the same start-up flags initctl's launcher uses.
 */
export async function measureBareDeno(dir: string, samples: number): Promise<number[]> {
  const script = `${dir}/one_line.ts`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(script, 'console.log("ok");\n');
  const out: number[] = [];
  for (let i = 0; i < samples + 1; i++) {
    const t = performance.now();
    await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--no-prompt", script],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    // The first run warms the page cache and the code cache: it is not a sample.
    if (i > 0) out.push(performance.now() - t);
  }
  return out;
}
