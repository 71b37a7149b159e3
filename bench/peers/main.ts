/**
 * `deno task bench:peers`: daybreak against other process supervisors, side by side.
 *
 * Each manager runs the same N services (`sleep 100000`) in a scratch directory
 * under the work directory (default `/tmp/daybreak-bench`), with its own private
 * socket or control directory: supervisord (private config and unix socket,
 * `nodaemon`), runit (`runsvdir` + `sv` with `SVDIR`), s6 (`s6-svscan`,
 * `s6-svstat`, `s6-svc`), pm2 (npm `pm2@7` installed into `WORKDIR/pm2`, a private
 * `PM2_HOME` per session, always `pm2 kill`ed), daybreak in user mode
 * (`bin/init --user`, `bin/initctl --socket`; skipped with "daybreak: not available
 * (bin/init missing)" until the launcher exists), and the floor: `floor.c`, built
 * with the machine's gcc, which fork+execs the N services, respawns them and kills
 * and reaps them. The machine's own init and the default pm2 home are never used.
 *
 * For N = 100, 500 and 2,000 (`--quick`: 100 only, one round, fewer samples, under two
 * minutes once the peers are installed) it measures, per session (see `session.ts`):
 * (a) cold start until the status command reports all N running and until all N
 * processes exist; (b) the manager's PSS (smaps_rollup), not RSS; (c) latency of
 * one whole list/status command (median of 20); (d) restart of one service until it
 * runs under a new pid (median of 10); (e) respawn after `kill -9` until a new pid
 * exists and until the manager reports it (median of 10); (f) stop of everything
 * until no service process is left; (g) the descriptors the manager holds per service.
 * Managers are interleaved over the rounds (the
 * order rotates), and the result is a markdown table of medians with min–max,
 * plus the ratios daybreak / each peer and daybreak / floor.
 *
 * Missing peers are installed first: `apt-get install -y --no-install-recommends
 * supervisor runit s6` (after `apt-get update` if that fails) and `npm install
 * pm2@7`. Needs root for apt and for reading other processes' smaps_rollup.
 *
 * A full run writes `docs/benchmarks.md` (unless `--no-write`); a quick run only
 * prints, unless `--write`. Timings are printed, never asserted; benchmarks never
 * run in `.ci/run`.
 *
 * Clean-up: the bench makes itself a child subreaper, so every process a manager
 * starts (pm2's daemonised God process too) stays its descendant; after every
 * session, and on SIGINT/SIGTERM, it SIGKILLs and reaps every descendant, and at
 * the end it checks that `pgrep -f 'sleep 100000'` finds nothing it started.
 *
 * Options: `--quick`, `--write`, `--no-write`, `--rounds=R`, `--n=100,500`,
 * `--only=daybreak,s6,…`, `--workdir=DIR`, `--no-install`, `--keep` (keep the
 * scratch directories), `--help`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Daybreak, DAYBREAK_ROOT } from "./daybreak.ts";
import { adoptOrphans, baseEnv, killAllDescendantsNow, run } from "./exec.ts";
import { Floor } from "./floor.ts";
import { installDebianPackages } from "./install.ts";
import { describeMachine } from "./machine.ts";
import type { Manager } from "./manager.ts";
import { Pm2 } from "./pm2.ts";
import {
  type BenchReport,
  type Failure,
  type ManagerRecord,
  renderDocument,
  renderTables,
  renderTargetSection,
  writeDocument,
} from "./report.ts";
import { Runit } from "./runit.ts";
import { S6 } from "./s6.ts";
import { runSession, type SessionPlan, type SessionResult } from "./session.ts";
import { median } from "./stats.ts";
import { Supervisord } from "./supervisord.ts";
import { measureBareDeno } from "./targets.ts";

const encoder = new TextEncoder();
const print = (line: string) => Deno.stdout.writeSync(encoder.encode(`${line}\n`));

const { values: opts } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    write: { type: "boolean", default: false },
    "no-write": { type: "boolean", default: false },
    rounds: { type: "string" },
    n: { type: "string" },
    only: { type: "string" },
    workdir: { type: "string", default: "/tmp/daybreak-bench" },
    "no-install": { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (opts.help) {
  print("usage: deno task bench:peers [--quick] [--write|--no-write] [--rounds=R] [--n=100,500]");
  print("       [--only=daybreak,supervisord,runit,s6,pm2,floor] [--workdir=DIR] [--no-install]");
  print("       [--keep]    (see the top of bench/peers/main.ts)");
  Deno.exit(0);
}

const quick = opts.quick;
const rounds = Number(opts.rounds ?? (quick ? 1 : 3));
const ns = (opts.n ?? (quick ? "100" : "100,500,2000")).split(",").map(Number);
const samples = quick
  ? { list: 5, restart: 3, respawn: 3 }
  : { list: 20, restart: 10, respawn: 10 };
const workdir = opts.workdir.replace(/\/+$/, "");
if (!Number.isInteger(rounds) || rounds < 1) {
  throw new RangeError(`Invalid --rounds: ${opts.rounds}`);
}
for (const n of ns) {
  if (!Number.isInteger(n) || n <= samples.restart + samples.respawn) {
    throw new RangeError(`Invalid --n: ${n} (must exceed ${samples.restart + samples.respawn})`);
  }
}
if (!workdir.startsWith("/") || workdir.split("/").length < 3) {
  throw new RangeError(`Invalid --workdir: ${opts.workdir} (an absolute path two levels deep)`);
}

const all: Manager[] = [
  new Daybreak(),
  new Supervisord(),
  new Runit(),
  new S6(),
  new Pm2(`${workdir}/pm2`),
  new Floor(),
];
const only = opts.only?.split(",");
const managers = all.filter((m) => only === undefined || only.some((o) => m.name.startsWith(o)));

adoptOrphans();
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(sig, () => {
    print(`\n${sig}: killing every process the bench started`);
    killAllDescendantsNow();
    Deno.exit(130);
  });
}

async function sleepPids(): Promise<Set<number>> {
  const r = await run(["pgrep", "-f", "sleep 100000"], { env: baseEnv("/") });
  return new Set(r.stdout.split("\n").filter((l) => l !== "").map(Number));
}

const foreign = await sleepPids();
if (foreign.size > 0) {
  print(`note: ${foreign.size} 'sleep 100000' processes not started by the bench are ignored`);
}

// Availability, then one apt-get call for every missing Debian package, then npm.
const unavailable: { name: string; reason: string }[] = [];
const usable: Manager[] = [];
const missing = new Map<Manager, string>();
for (const m of managers) {
  const ok = await m.available();
  if (ok === true) usable.push(m);
  else missing.set(m, ok);
}
if (!opts["no-install"]) {
  const pkgs = [...missing.keys()].flatMap((
    m,
  ) => (m.debianPackage === undefined ? [] : [m.debianPackage]));
  try {
    await installDebianPackages(pkgs, print);
  } catch (e) {
    print(`install failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  for (const m of missing.keys()) {
    if (m.install === undefined) continue;
    print(`installing ${m.name}`);
    await m.install().catch((e) => print(`install of ${m.name} failed: ${String(e)}`));
  }
}
for (const [m, firstReason] of missing) {
  const ok = m.debianPackage !== undefined || m.install !== undefined
    ? await m.available()
    : firstReason;
  if (ok === true) usable.push(m);
  else unavailable.push({ name: m.name, reason: ok });
}
usable.sort((a, b) => managers.indexOf(a) - managers.indexOf(b));
for (const u of unavailable) print(`${u.name}: not available (${u.reason})`);

const records = new Map<string, ManagerRecord>();
const versions: { name: string; version: string | null }[] = [];
for (const m of usable) {
  const version = await m.version();
  versions.push({ name: m.name, version });
  records.set(m.name, {
    name: m.name,
    version,
    notes: m.notes,
    samples: new Map(),
    scopes: new Map(),
  });
}
const machine = await describeMachine(versions);
const failures: Failure[] = [];

function basePlan(n: number): SessionPlan {
  return {
    n,
    listSamples: samples.list,
    restartSamples: samples.restart,
    respawnSamples: samples.respawn,
    configAgeMs: 1100,
    settleMs: quick ? 1000 : 1500,
    coldTimeoutMs: 180_000,
    stepTimeoutMs: 30_000,
  };
}

function merge(rec: ManagerRecord, n: number, result: SessionResult): void {
  const into = rec.samples.get(n) ?? {};
  rec.samples.set(n, into);
  for (const [metric, vs] of Object.entries(result.samples) as [keyof typeof into, number[]][]) {
    (into[metric] ??= []).push(...vs);
  }
  if (result.memoryScope !== "") {
    const scopes = rec.scopes.get(n) ?? new Set();
    rec.scopes.set(n, scopes.add(result.memoryScope));
  }
}

function brief(r: SessionResult): string {
  const f = (k: keyof SessionResult["samples"], unit = "ms") => {
    const v = r.samples[k];
    if (v === undefined || v.length === 0) return "–";
    const med = median(v);
    return unit === "MiB" ? `${(med / 1024).toFixed(1)} MiB` : `${med.toFixed(0)} ms`;
  };
  return `cold ${f("cold-status")}/${f("cold-procs")}  pss ${f("pss", "MiB")}  list ${
    f("list")
  }  ` +
    `restart ${f("restart")}  respawn ${f("respawn-procs")}/${f("respawn-status")}  stop ${
      f("stop")
    }`;
}

const sessions = `${workdir}/sessions`;
await Deno.remove(sessions, { recursive: true }).catch(() => {});
const began = performance.now();
for (let round = 1; round <= rounds; round++) {
  for (const [ni, n] of ns.entries()) {
    const shift = (round - 1 + ni) % Math.max(1, usable.length);
    const order = [...usable.slice(shift), ...usable.slice(0, shift)];
    for (const m of order) {
      const dir = `${sessions}/${m.name.replace(/\W+/g, "_")}-n${n}-r${round}`;
      await Deno.mkdir(dir, { recursive: true });
      const label = `round ${round}/${rounds}  N=${n}  ${m.name.padEnd(12)}`;
      try {
        const result = await runSession(m, dir, basePlan(n));
        merge(records.get(m.name)!, n, result);
        print(`${label}  ${brief(result)}`);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        failures.push({ manager: m.name, n, round, message });
        print(`${label}  FAILED: ${message}`);
      } finally {
        if (!opts.keep) await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    }
  }
}
print(`\nall sessions done in ${((performance.now() - began) / 1000).toFixed(1)} s\n`);

// The `initctl list` target is stated against a bare `deno run`: measure it here, quietly.
const bareDeno = usable.some((m) => m.name === "daybreak")
  ? await measureBareDeno(`${workdir}/bare-deno`, quick ? 5 : 20)
  : [];

const command = ["deno task bench:peers", ...Deno.args].join(" ");
const report: BenchReport = {
  generatedAt: new Date(),
  command,
  mode: quick ? "quick" : "full",
  rounds,
  ns,
  sampling: `per session: list ×${samples.list}, restart ×${samples.restart}, ` +
    `respawn ×${samples.respawn}`,
  machine,
  managers: usable.map((m) => records.get(m.name)!),
  unavailable,
  failures,
  bareDeno,
};
print(renderTables(report));
print(renderTargetSection(report).join("\n"));

if ((!quick && !opts["no-write"]) || opts.write) {
  const path = `${DAYBREAK_ROOT}docs/benchmarks.md`;
  await writeDocument(path, renderDocument(report));
  print(`written: ${path}`);
}

const left = [...await sleepPids()].filter((pid) => !foreign.has(pid));
if (left.length > 0) print(`WARNING: 'sleep 100000' processes left behind: ${left.join(" ")}`);
else print("clean-up: no 'sleep 100000' left behind");
Deno.exit(failures.length > 0 || left.length > 0 ? 1 : 0);
