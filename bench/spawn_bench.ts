/**
 * The spawner alone (`daemon/supervisor/fd_spawner.ts`), with real processes:
 * - a lone spawn, the respawn case: `spawnAsync` on the JS thread (its default for a lone
 *   spawn) against on a worker thread, from the call until the pid is known;
 * - a burst of N `sleep` spawns (`console log`, as at cold start) through `spawnAsync` with
 *   1, 2, 4, 8, 16 calls in flight, and through the synchronous `spawn`, until every pid is known.
 * Medians of several rounds, interleaved so that the machine's load hits every variant alike.
 *
 *     deno run -A bench/spawn_bench.ts [--n=500] [--rounds=7]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { FdSpawner } from "../daemon/supervisor/fd_spawner.ts";
import { Reaper } from "../daemon/supervisor/reaper.ts";
import type { SpawnedProcess } from "../daemon/ports.ts";
import { spawnRequest, TEST_PATH } from "../tests/fakes/spawn_request.ts";
import { median } from "./peers/stats.ts";

const encoder = new TextEncoder();
const out = (line: string) => Deno.stdout.writeSync(encoder.encode(`${line}\n`));

const { values } = parseArgs({
  args: Deno.args,
  options: {
    n: { type: "string", default: "500" },
    rounds: { type: "string", default: "7" },
  },
});
const n = Number(values.n);
const rounds = Number(values.rounds);

const results = new Map<string, number[]>();
const add = (k: string, v: number) => results.set(k, [...(results.get(k) ?? []), v]);
const reaper = new Reaper();
reaper.start();
const logDir = Deno.makeTempDirSync({ prefix: "daybreak-spawn-bench-" });

function request(i: number) {
  return spawnRequest({
    job: `s${i}`,
    env: [TEST_PATH],
    console: "log",
    logDir,
    command: "sleep 100000",
  });
}

async function endAll(spawner: FdSpawner, procs: readonly SpawnedProcess[]): Promise<void> {
  for (const p of procs) spawner.kill(p.pid, 9, { group: true });
  await Promise.all(procs.map((p) => p.exited));
}

/** This process's user + system CPU ms (/proc/self/stat, 100 ticks a second). */
function cpuMs(): number {
  const text = Deno.readTextFileSync("/proc/self/stat");
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** ms until every pid of a burst is known, and the CPU ms this process used meanwhile. */
async function burst(bound: number | "sync"): Promise<number> {
  const spawner = new FdSpawner({ reaper, spawnsInFlight: bound === "sync" ? 1 : bound });
  const cpu0 = cpuMs();
  const t0 = performance.now();
  const procs = bound === "sync"
    ? Array.from({ length: n }, (_, i) => spawner.spawn(request(i)))
    : await Promise.all(Array.from({ length: n }, (_, i) => spawner.spawnAsync(request(i))));
  const ms = performance.now() - t0;
  add(`burst ${bound === "sync" ? "sync" : `async ×${bound}`} CPU`, cpuMs() - cpu0);
  await endAll(spawner, procs);
  await spawner.loop.idle();
  return ms;
}

/** ms from the call until the pid of one spawn is known, median of 20. */
async function lone(how: "sync" | "worker"): Promise<number> {
  const spawner = new FdSpawner({ reaper, loneSpawnsOnJsThread: how === "sync" });
  const times: number[] = [];
  const procs: SpawnedProcess[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const ps = [await spawner.spawnAsync(request(i))];
    times.push(performance.now() - t0);
    procs.push(...ps);
    await new Promise((r) => setTimeout(r, 5));
  }
  await endAll(spawner, procs);
  await spawner.loop.idle();
  return median(times)!;
}

const variants: (number | "sync")[] = ["sync", 1, 2, 4, 8, 16];
for (let r = 0; r < rounds; r++) {
  add("lone sync", await lone("sync"));
  add("lone worker", await lone("worker"));
  for (const v of variants) add(`burst ${v === "sync" ? "sync" : `async ×${v}`}`, await burst(v));
}
for (const [k, xs] of results) {
  const s = [...xs].sort((a, b) => a - b);
  out(
    `${k.padEnd(24)} median ${median(xs)!.toFixed(2)} ms (min ${s[0]!.toFixed(2)}, max ${
      s.at(-1)!.toFixed(2)
    }, ${xs.length} rounds)${k.startsWith("burst") ? `, N = ${n}` : ""}`,
  );
}
reaper.stop();
Deno.removeSync(logDir, { recursive: true });
