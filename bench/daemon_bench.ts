/**
 * The daemon end to end: `bin/init --user` with N `sleep` services (`start on startup`,
 * `respawn`), for N = 100 and 500: cold start until all N are running (as `initctl list` reports
 * them, and as processes), the daemon's PSS, `initctl list` latency, restart latency, respawn
 * latency after `kill -9`, and stopping everything. One session per N through the same code as
 * `deno task bench:peers` (`peers/daybreak.ts`, `peers/session.ts`), without the peers. Prints
 * medians only.
 *
 *     deno task bench daemon
 *
 * @module
 */

import { Daybreak } from "./peers/daybreak.ts";
import { adoptOrphans, killAllDescendantsNow } from "./peers/exec.ts";
import { type Metric, runSession, type SessionPlan } from "./peers/session.ts";
import { median } from "./peers/stats.ts";

const SIZES = [100, 500];

const LABELS: readonly [Metric, string][] = [
  ["cold-status", "cold start, all running per initctl"],
  ["cold-procs", "cold start, all processes exist"],
  ["list", "initctl list"],
  ["restart", "initctl restart one job"],
  ["respawn-procs", "respawn after kill -9, new pid exists"],
  ["respawn-status", "respawn after kill -9, initctl reports it"],
  ["stop", "stop all (SIGTERM to the daemon)"],
];

function plan(n: number): SessionPlan {
  return {
    n,
    listSamples: 10,
    restartSamples: 5,
    respawnSamples: 5,
    configAgeMs: 0,
    settleMs: 1000,
    coldTimeoutMs: 120_000,
    stepTimeoutMs: 30_000,
  };
}

/** Runs the daemon benchmark and prints one line per figure. */
export async function main(print: (line: string) => void): Promise<void> {
  const daybreak = new Daybreak();
  const available = await daybreak.available();
  if (available !== true) {
    print(`daemon: not available (${available})`);
    return;
  }
  // Every process the daemon leaves behind stays ours, so the session can reap and kill it.
  adoptOrphans();
  for (const n of SIZES) {
    const dir = await Deno.makeTempDir({ prefix: "daybreak-daemon-bench-" });
    try {
      const result = await runSession(daybreak, dir, plan(n));
      for (const [metric, label] of LABELS) {
        const v = result.samples[metric];
        if (v !== undefined && v.length > 0) {
          print(`daemon N=${n}: ${label}: ${median(v).toFixed(1)} ms`);
        }
      }
      const pss = result.samples.pss;
      if (pss !== undefined && pss.length > 0) {
        print(`daemon N=${n}: daemon PSS: ${(median(pss) / 1024).toFixed(1)} MiB`);
      }
    } catch (e) {
      print(`daemon N=${n}: failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      killAllDescendantsNow();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }
}
