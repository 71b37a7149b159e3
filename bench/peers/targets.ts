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
    "pipe, no ChildProcess, no streams. glibc's posix_spawn is vfork-like: the calling " +
    "thread waits until the child has called setsid() and exec'd, and that wait is most of " +
    "a spawn's cost (setsid() also creates a scheduler autogroup, " +
    "kernel.sched_autogroup_enabled = 1 here; the floor's children do not call it). A burst " +
    "of spawns makes that call on Deno's blocking threads (ProcessSpawner.spawnAsync: 8 in " +
    "flight, the rest queued and sent as slots free; the engine holds a process being " +
    "spawned as pid 0 until its pid arrives), so the spawns overlap with each other and " +
    "with the daemon's own work. A lone spawn (a respawn, a start) and a sandboxed one stay " +
    "on the JS thread. Before the first spawn come Deno's start-up and the modules (about " +
    "220 ms on a quiet machine), then the 500 job files (read on the JS thread, overrides " +
    "found in an index) and the startup event; bench/cold_start_bench.ts --timeline splits " +
    "a cold start into these phases. The daemon is CPU-bound on its JS thread. A pass on " +
    "that CPU (a 500-job inspector profile, then each cut measured) removed: three thrown " +
    "NotFound stats per job (the program lookup is now kept for the whole burst), about 90 " +
    "ms of compacting GC in the middle of the burst (daemon/heap_trim.ts now waits for the " +
    "spawner's queue to empty), an O(N²) walk of every file for each job's overrides, a " +
    "second listing of the confdir, a timer armed in the burst's first run (Deno's first " +
    "timer loads its Node layer), the engine's `info` log lines built when the log's " +
    "priority drops them (about nine per job), and smaller per-job costs (environment " +
    "tables, clock readings, timeline objects). bench/cold_start_bench.ts, 9 rounds " +
    "alternated with the commit before the pass, loaded 2-core machine: daemon CPU by the " +
    "time all 500 exist 870 → 650 ms (medians; ranges 820–1010 and 610–750), launch → all " +
    "exist 1697 → 1376 ms; the JS thread about 1.0 → 0.73 ms of CPU per job after about 105 " +
    "ms of start-up. What is left is spread thin (inspector profile): the engine's " +
    "transitions and their observers, the spawn's preparation and the supervision of its " +
    "pid (promises, the log pipe, the exit watch), GC (about 34 MB allocated for 500 jobs), " +
    "loading the request dispatcher and Deno's Node layer during the burst, and the JS " +
    "thread waiting for a CPU after waking a spawning thread. A `perf record` of the whole " +
    "cold start puts about 30% of all CPU in the `sleep` children themselves (exec, the " +
    "dynamic loader, the locale): the floor pays that too.",
  memory:
    "About 28 MB is any Deno process, mostly the deno binary's own pages (shared with every " +
    "other deno process on the machine, so PSS counts a varying part of them); the daemon's " +
    "code and heap bring it to about 33 MB before any job. Per job (bench/memory_bench.ts, " +
    "V8 heap after a full GC): about 5.5 kB of heap: the instance and its class's parsed " +
    "spec (empty lists and defaults shared), the `start on` state (its compiled plan shared " +
    "by every expression of the same shape), the log pipe reader and its LogFile, the " +
    "process's exit watch, the status facts and six timeline changes (both bounded at " +
    "10,000). Right after a burst the heap also holds the burst's garbage: one compacting " +
    "GC returns it once the spawner's queue has been empty for 300 ms, then malloc_trim(0) " +
    "gives back the C heap arenas' free pages (daemon/heap_trim.ts, sys/malloc.ts, " +
    "docs/behaviour.md#memory). Until this run the collection counted quiet from the last " +
    "spawn the engine asked for, and at start-up the engine asks for all of them at once: " +
    "at 2,000 jobs it ran with 1,743 spawns still queued, and the rest of the burst's " +
    "garbage stayed, which is why the daemon held more while `initctl list` was polled " +
    "through the burst. Answered requests lead to the same collection once they have been " +
    "quiet for 300 ms and grew the heap by 16 MiB (`initctl list` at 2,000 jobs leaves " +
    "about 1 MB, and V8 let the heap grow by tens of MB before its own full collection). " +
    "bench/memory_bench.ts --poll (initctl list polled through the cold start as here), 3 " +
    "runs each, loaded 2-core machine: Pss_Anon at N = 500 32.6 → 27.0 MB, at N = 2000 52.2 " +
    "→ 34.9 MB, growth 13.1 → 5.3 kB per job.",
  list: "initctl is itself a Deno process: a bare `deno run` (the reference above) plus its " +
    "modules (the client, the reply schemas built with zod's mini API, the table renderer; " +
    "no `node:` module, docs/platform.md#start-up-costs). The daemon accepts on a raw socket " +
    "(daemon/rpc/raw_listener.ts: accept4 in its one poll loop, SO_PEERCRED read on the " +
    "accepted fd, O(1) whatever the number of jobs) and answers `list` for 500 jobs in a few " +
    "ms; the rest is the client's own start-up. From the dist/ bundle (`deno task dist`) " +
    "initctl starts about 8 ms sooner than from the TypeScript sources measured here.",
  restart: "A bare `deno run` of a one-line script takes most of the 25 ms target on this " +
    "machine (see above; 22–35 ms in the runs of this session), and initctl is a Deno process: " +
    "its start-up and its modules are most of the figure. In the daemon the stop, the kill, the exit (SIGCHLD, then waitpid by " +
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
