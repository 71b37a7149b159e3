/**
 * A soak of the real user daemon: mixed operations (start, stop, restart, status, list, emit,
 * show-config, failing starts, job files written and removed, configuration reloads, a respawning
 * job killed now and then) for a while, sampling the daemon's resident memory and open
 * descriptors, then the figures: operations tried, unexpected failures, daemon alive, memory and
 * descriptors before and after, and the samples.
 *
 * Short mode runs in the normal test run (`soak_test.ts`); the long one from the command line:
 *
 *     deno task stress:soak              # 10 minutes
 *     deno task stress:soak --seconds 60
 *
 * @module
 */

import { join } from "node:path";
import { type RpcClient, RpcError } from "../../protocol/client.ts";
import { connectSocket } from "../../protocol/client.ts";
import { kill } from "../../sys/libc.ts";
import { probeList } from "../helpers/rpc_probe.ts";
import { isAlive, startTestDaemon } from "../helpers/test_daemon.ts";
import { fdCount, rssKiB, StressReport } from "./_report.ts";

/** One sample of the daemon. */
export interface SoakSample {
  readonly atMs: number;
  readonly rssKb: number | null;
  readonly fds: number | null;
}

/** What a soak found. */
export interface SoakResult {
  readonly ops: number;
  readonly failures: number;
  /** Examples of the unexpected failures (at most 10). */
  readonly failureExamples: string[];
  readonly daemonAlive: boolean;
  /** The slowest `job.list` probe, in ms (null: one got no answer within a second). */
  readonly slowestProbeMs: number | null;
  readonly samples: SoakSample[];
  /** After a warm-up, and at the end. */
  readonly rssBeforeKb: number | null;
  readonly rssAfterKb: number | null;
  readonly fdsBefore: number | null;
  readonly fdsAfter: number | null;
  /** Exit status of the daemon on SIGTERM at the end. */
  readonly exitCode: number;
  /** When the soak began (a `performance.now()` time). */
  readonly startedAt: number;
}

const JOBS: Record<string, string> = {
  "svc.conf": "exec sleep 600\n",
  "resp.conf": "respawn\nrespawn limit unlimited\nexec sleep 600\n",
  "task.conf": "task\nexec true\n",
  "chatty.conf": "task\nexec sh -c 'echo hello; echo world >&2'\n",
  "inst.conf": "instance $N\nexec sleep 600\n",
  "onev.conf": "start on soak-ping\ntask\nexec true\n",
  "nobin.conf": "exec /nonexistent/daybreak-soak-missing\n",
};

/** Errors that are answers, not failures (a job already running, say). */
const EXPECTED = new Set([
  "AlreadyStarted",
  "AlreadyStopped",
  "UnknownInstance",
  "JobFailed",
  "UnknownJob",
]);

/**
 * Runs a soak for `seconds`; `onSample` sees each sample as it is taken.
 *
 * @param seconds how long to run the mixed operations
 * @param seed for the pseudo-random choice of operations
 */
export async function soak(
  seconds: number,
  seed = 1,
  onSample?: (s: SoakSample) => void,
): Promise<SoakResult> {
  const d = await startTestDaemon(JOBS);
  let s = seed >>> 0;
  const rnd = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const pid = d.daemonPid;
  const samples: SoakSample[] = [];
  const t0 = performance.now();
  const sample = () => {
    const x = { atMs: Math.round(performance.now() - t0), rssKb: rssKiB(pid), fds: fdCount(pid) };
    samples.push(x);
    onSample?.(x);
  };
  let ops = 0;
  let failures = 0;
  const failureExamples: string[] = [];
  let slowest: number | null = 0;
  const fail = (what: string) => {
    failures++;
    if (failureExamples.length < 10) failureExamples.push(what);
  };
  let client: RpcClient = await connectSocket(d.socket);
  const call = async (method: string, params: Record<string, unknown>) => {
    ops++;
    try {
      // deno-lint-ignore no-explicit-any
      await (client.call as any)(method, params);
    } catch (e) {
      if (e instanceof RpcError && EXPECTED.has(String(e.code))) return;
      if (e instanceof RpcError && /already|Unknown instance|failed/i.test(e.message)) return;
      fail(`${method} ${JSON.stringify(params)}: ${e instanceof Error ? e.message : e}`);
      client.close();
      client = await connectSocket(d.socket);
    }
  };
  const extra = join(d.confDir, "extra.conf");
  let exitCode = -1;
  try {
    // Warm up (first loads, the JIT), then take the baseline.
    for (let i = 0; i < 20; i++) await call("job.list", {});
    sample();
    const rssBeforeKb = samples[0]!.rssKb;
    const fdsBefore = samples[0]!.fds;
    const end = t0 + seconds * 1000;
    let nextSample = performance.now() + 1000;
    while (performance.now() < end) {
      const r = rnd();
      const n = `n${Math.floor(rnd() * 8)}`;
      if (r < 0.12) await call("job.start", { job: "svc", wait: rnd() < 0.5 });
      else if (r < 0.22) await call("job.stop", { job: "svc" });
      else if (r < 0.27) await call("job.restart", { job: "svc" });
      else if (r < 0.35) await call("job.start", { job: "task" });
      else if (r < 0.40) await call("job.start", { job: "chatty" });
      else if (r < 0.48) await call("job.start", { job: "inst", env: [`N=${n}`] });
      else if (r < 0.55) await call("job.stop", { job: "inst", env: [`N=${n}`] });
      else if (r < 0.62) await call("event.emit", { name: "soak-ping", env: [`K=${n}`] });
      else if (r < 0.70) await call("job.status", { job: "resp" });
      else if (r < 0.78) await call("job.list", {});
      else if (r < 0.82) await call("job.showConfig", {});
      else if (r < 0.85) await call("job.start", { job: "nobin" });
      else if (r < 0.88) {
        ops++;
        if (rnd() < 0.5) await Deno.writeTextFile(extra, "task\nexec true\n");
        else await Deno.remove(extra).catch(() => {});
      } else if (r < 0.90) await call("conf.reload", {});
      else if (r < 0.93) {
        // A new connection per request, as initctl makes.
        ops++;
        const ms = await probeList(d.socket, 1000);
        slowest = ms === null || slowest === null ? null : Math.max(slowest, ms);
      } else if (r < 0.95) {
        ops++;
        const m = /process (\d+)/.exec(await d.ok("status", "resp").catch(() => ""));
        if (m !== null) {
          try {
            kill(Number(m[1]), 9);
          } catch { /* gone */ }
        } else {
          await call("job.start", { job: "resp", wait: false });
        }
      } else await call("env.list", {});
      if (performance.now() >= nextSample) {
        sample();
        nextSample += 1000;
      }
    }
    // Back to a quiet state before the last sample: what is left is what leaked.
    await call("job.stop", { job: "svc" });
    for (let i = 0; i < 8; i++) await call("job.stop", { job: "inst", env: [`N=n${i}`] });
    await new Promise((r) => setTimeout(r, 500));
    sample();
    const last = samples.at(-1)!;
    client.close();
    const alive = isAlive(pid);
    const { status } = await d.terminate(10_000);
    exitCode = status.code;
    return {
      ops,
      failures,
      failureExamples,
      daemonAlive: alive,
      slowestProbeMs: slowest,
      samples,
      rssBeforeKb,
      rssAfterKb: last.rssKb,
      fdsBefore,
      fdsAfter: last.fds,
      exitCode,
      startedAt: t0,
    };
  } finally {
    client.close();
    await d[Symbol.asyncDispose]().catch(() => {});
  }
}

/** Prints a soak's figures (see tests/stress/README.md). */
export function reportSoak(name: string, r: SoakResult): void {
  new StressReport(name, r.startedAt)
    .set("inputs tried", r.ops)
    .set("failures", r.failures)
    .set("data lost", 0)
    .set("daemon alive", r.daemonAlive)
    .set("rss before KiB", r.rssBeforeKb)
    .set("rss after KiB", r.rssAfterKb)
    .set("fds before/after", `${r.fdsBefore}/${r.fdsAfter}`)
    .set("samples", r.samples.length)
    .set("slowest list ms", r.slowestProbeMs === null ? "none" : Math.round(r.slowestProbeMs))
    .set("exit on SIGTERM", r.exitCode)
    .print();
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--seconds");
  const seconds = i >= 0 ? Number(Deno.args[i + 1]) : Deno.args.includes("--short") ? 15 : 600;
  const seed = Number(Deno.env.get("DAYBREAK_STRESS_SEED") ?? Date.now() % 100000);
  const r = await soak(seconds, seed, (x) => {
    const line = `[soak] t=${x.atMs}ms rss=${x.rssKb} kB fds=${x.fds}\n`;
    Deno.stderr.writeSync(new TextEncoder().encode(line));
  });
  reportSoak(`soak (${seconds}s, seed ${seed})`, r);
  for (const f of r.failureExamples) {
    Deno.stderr.writeSync(new TextEncoder().encode(`  failure: ${f}\n`));
  }
  const ok = r.failures === 0 && r.daemonAlive && r.exitCode === 0 &&
    r.slowestProbeMs !== null && r.fdsAfter !== null && r.fdsBefore !== null &&
    r.fdsAfter - r.fdsBefore <= 8;
  Deno.exit(ok ? 0 : 1);
}
