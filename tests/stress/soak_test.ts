/**
 * The soak's short mode (see `soak.ts`): mixed operations for a few seconds; the daemon must
 * answer throughout, fail nothing unexpectedly, keep its descriptors steady, not balloon, and
 * exit 0 on SIGTERM. Memory is only bounded loosely here: a few seconds cannot show a slow leak
 * (the long mode can).
 */
import assert from "node:assert/strict";
import { reportSoak, soak } from "./soak.ts";

Deno.test("soak (short): mixed operations keep the daemon answering with steady fds", async () => {
  const seed = Number(Deno.env.get("DAYBREAK_STRESS_SEED") ?? Date.now() % 100000);
  const r = await soak(8, seed);
  reportSoak(`soak short (seed ${seed})`, r);
  assert.deepEqual(r.failureExamples, [], `seed ${seed}`);
  assert.ok(r.daemonAlive);
  assert.equal(r.exitCode, 0);
  assert.notEqual(r.slowestProbeMs, null, "every probe answered within a second");
  assert.ok(r.ops > 100, `${r.ops} operations`);
  assert.ok(r.fdsBefore !== null && r.fdsAfter !== null);
  assert.ok(r.fdsAfter - r.fdsBefore <= 8, `fds ${r.fdsBefore} → ${r.fdsAfter}`);
  assert.ok(r.rssBeforeKb !== null && r.rssAfterKb !== null);
  assert.ok(r.rssAfterKb < r.rssBeforeKb * 2 + 50_000, `rss ${r.rssBeforeKb} → ${r.rssAfterKb}`);
});
