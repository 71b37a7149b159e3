/**
 * The cost of sandboxing: job starts per second through the real {@linkcode FdSpawner}
 * (spawn `/bin/true` and wait for its exit, one after the other) with no stanza, with Upstart's
 * process stanzas, and with every sandbox stanza. Prints figures only.
 *
 *     deno task bench sandbox
 *
 * @module
 */

import type { SpawnRequest } from "../daemon/ports.ts";
import { FdSpawner } from "../daemon/supervisor/fd_spawner.ts";
import { Reaper } from "../daemon/supervisor/reaper.ts";
import { NO_SANDBOX } from "../security/sandbox.ts";
import { spawnRequest } from "../tests/fakes/spawn_request.ts";

const STARTS = 300;
const WARMUP = 20;

const PLAIN: SpawnRequest = spawnRequest({
  job: "bench",
  env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
});

/** `setuid nobody`, `umask 027`, `nice 5`, `limit nofile 256 256`. */
const UPSTART: SpawnRequest = {
  ...PLAIN,
  setuid: "nobody",
  umask: 0o027,
  nice: 5,
  limits: { nofile: [256, 256] },
};

const FULL: SpawnRequest = {
  ...UPSTART,
  sandbox: {
    ...NO_SANDBOX,
    noNewPrivileges: true,
    capabilities: ["net_bind_service"],
    privateTmp: true,
    protectSystem: true,
    readWritePaths: ["/var/tmp"],
    privateNetwork: true,
    hostname: "bench",
  },
};

/** The three configurations, by the name printed. */
export const CASES: Readonly<Record<string, SpawnRequest>> = {
  "no sandbox": PLAIN,
  "upstart stanzas": UPSTART,
  "full sandbox": FULL,
};

/**
 * Starts `req` `starts` times in sequence, each waited for.
 *
 * @returns starts per second
 */
export async function startsPerSecond(
  spawner: FdSpawner,
  req: SpawnRequest,
  starts: number,
): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < starts; i++) {
    const status = await spawner.spawn(req).exited;
    if (!("code" in status) || status.code !== 0) {
      throw new Error(`Cannot benchmark: the job failed with ${JSON.stringify(status)}`);
    }
  }
  return starts / ((performance.now() - t0) / 1000);
}

/** Prints one line per configuration. */
export async function main(print: (line: string) => void): Promise<void> {
  const spawner = new FdSpawner({ reaper: new Reaper() });
  const rates: number[] = [];
  for (const [name, req] of Object.entries(CASES)) {
    await startsPerSecond(spawner, req, WARMUP);
    const rate = await startsPerSecond(spawner, req, STARTS);
    rates.push(rate);
    const cost = rates.length === 1
      ? ""
      : `, ${(1000 / rate - 1000 / rates[0]!).toFixed(2)} ms/start more`;
    print(`sandbox: ${name}: ${STARTS} starts, ${Math.round(rate)} starts/s${cost}`);
  }
}

if (import.meta.main) {
  const encoder = new TextEncoder();
  await main((line) => Deno.stdout.writeSync(encoder.encode(`${line}\n`)));
}
