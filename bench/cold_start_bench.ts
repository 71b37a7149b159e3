/**
 * Cold start of the daemon alone: `bin/init --user` with N `sleep` services (`start on startup`,
 * `respawn`, default `console log`), timed from the daemon's launch until all N processes exist,
 * over several rounds. With several `--root` checkouts the rounds alternate between them, so a
 * before/after comparison sees the same machine load. With `--timeline` each round also reads
 * the daemon's timeline (`initctl timeline --json`) and prints where the time went: first
 * `starting`, first `running` (the first job's pid known), every instance `spawned`, every instance `running` (ms from the daemon's Deno
 * start, its clock).
 *
 *     deno run -A bench/cold_start_bench.ts [--n=500] [--rounds=7] [--timeline] [--root=DIR]...
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Daybreak, DAYBREAK_ROOT } from "./peers/daybreak.ts";
import { adoptOrphans, killAllDescendants, reapOrphans, run } from "./peers/exec.ts";
import { ServiceFinder } from "./peers/proc.ts";
import { median } from "./peers/stats.ts";

const encoder = new TextEncoder();
const out = (line: string) => Deno.stdout.writeSync(encoder.encode(`${line}\n`));
const err = (line: string) => Deno.stderr.writeSync(encoder.encode(`${line}\n`));

interface Round {
  readonly procsMs: number;
  /** CPU time (user + system) the daemon had used when all N existed. */
  readonly cpuMs: number;
  readonly phases: Phases | null;
}

/** Timeline figures of one round, ms from the daemon's start. */
interface Phases {
  readonly origin: number;
  readonly firstStarting: number;
  readonly firstRunning: number;
  readonly allSpawned: number;
  readonly allRunning: number;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function phases(root: string, dir: string, n: number): Promise<Phases | null> {
  const r = await run([
    `${root}/bin/initctl`,
    "--socket",
    `${dir}/daybreak.sock`,
    "timeline",
    "--json",
  ], {
    env: { PATH: "/usr/bin:/bin", HOME: dir },
    cwd: dir,
  });
  if (r.code !== 0) return null;
  const parsed = JSON.parse(r.stdout) as {
    origin?: number;
    transitions?: { t: number; to: string }[];
  };
  const list = parsed.transitions ?? [];
  // The daemon's clock is performance.now(): ms from its Deno's start.
  const at = (to: string, k: number) => {
    const times = list.filter((x) => x.to === to).map((x) => x.t).sort((a, b) => a - b);
    return times.length >= k ? times[k - 1]! : NaN;
  };
  return {
    origin: parsed.origin ?? NaN,
    firstStarting: at("starting", 1),
    firstRunning: at("running", 1),
    allSpawned: at("spawned", n),
    allRunning: at("running", n),
  };
}

/** User + system CPU ms of `pids` (utime and stime of /proc/PID/stat, 100 ticks a second). */
function cpuOf(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const text = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks * 10;
}

async function oneRound(root: string, n: number, withTimeline: boolean): Promise<Round> {
  const dir = await Deno.makeTempDir({ prefix: "daybreak-cold-" });
  const daybreak = new Daybreak(root);
  const finder = new ServiceFinder(Deno.pid);
  try {
    await daybreak.setup(dir, n);
    const t0 = performance.now();
    await daybreak.start();
    let procsMs = NaN;
    let cpuMs = NaN;
    const until = t0 + 60_000;
    while (performance.now() < until) {
      const count = finder.services().size;
      reapOrphans();
      if (count >= n) {
        procsMs = performance.now() - t0;
        cpuMs = cpuOf(await daybreak.managerPids());
        break;
      }
      await delay(2);
    }
    // Let the daemon settle before asking it (its `running` states come right after).
    await delay(300);
    const p = withTimeline ? await phases(root, dir, n) : null;
    return { procsMs, cpuMs, phases: p };
  } finally {
    await daybreak.teardown().catch(() => {});
    await killAllDescendants();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function fmt(xs: readonly number[]): string {
  const ok = xs.filter((x) => Number.isFinite(x));
  if (ok.length === 0) return "–";
  const sorted = [...ok].sort((a, b) => a - b);
  return `${median(ok)!.toFixed(0)} ms (min ${sorted[0]!.toFixed(0)}, max ${
    sorted.at(-1)!.toFixed(0)
  }, ${ok.length} rounds)`;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      n: { type: "string", default: "500" },
      rounds: { type: "string", default: "7" },
      root: { type: "string", multiple: true },
      timeline: { type: "boolean", default: false },
    },
  });
  const n = Number(values.n);
  const rounds = Number(values.rounds);
  const roots = (values.root ?? [DAYBREAK_ROOT]).map((r) => r.replace(/\/$/, ""));
  adoptOrphans();
  const results = new Map<string, Round[]>(roots.map((r) => [r, []]));
  for (let i = 0; i < rounds; i++) {
    for (const root of roots) {
      const r = await oneRound(root, n, values.timeline);
      results.get(root)!.push(r);
      const p = r.phases;
      err(
        `${root} round ${i + 1}: ${r.procsMs.toFixed(0)} ms, daemon CPU ${r.cpuMs} ms` +
          (p === null
            ? ""
            : ` (timeline ${p.origin.toFixed(0)}, first starting ${
              p.firstStarting.toFixed(0)
            }, first running ${p.firstRunning.toFixed(0)}, all spawned ${
              p.allSpawned.toFixed(0)
            }, all running ${p.allRunning.toFixed(0)})`),
      );
    }
  }
  for (const [root, rs] of results) {
    out(
      `${root}: N = ${n}, launch → all processes exist: ${fmt(rs.map((r) => r.procsMs))}`,
    );
    out(`  daemon CPU (user + system) by then: ${fmt(rs.map((r) => r.cpuMs))}`);
    if (values.timeline) {
      const ph = rs.map((r) => r.phases).filter((p) => p !== null);
      out(`  timeline begins: ${fmt(ph.map((p) => p.origin))}`);
      out(`  first starting: ${fmt(ph.map((p) => p.firstStarting))}`);
      out(`  first running: ${fmt(ph.map((p) => p.firstRunning))}`);
      out(`  all spawned state: ${fmt(ph.map((p) => p.allSpawned))}`);
      out(`  all running state: ${fmt(ph.map((p) => p.allRunning))}`);
    }
  }
}
