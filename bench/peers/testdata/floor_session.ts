/**
 * Runs one small benchmark session of the floor in the directory given as the
 * first argument and prints the result as JSON, with how many processes are
 * still alive below this process afterwards. Run by `session_test.ts` in its
 * own process, because a session kills every descendant of its process.
 *
 * @module
 */

import { adoptOrphans, liveDescendants } from "../exec.ts";
import { Floor } from "../floor.ts";
import { runSession } from "../session.ts";

adoptOrphans();
const result = await runSession(new Floor(), Deno.args[0]!, {
  n: 8,
  listSamples: 2,
  restartSamples: 1,
  respawnSamples: 2,
  configAgeMs: 0,
  settleMs: 100,
  coldTimeoutMs: 10_000,
  stepTimeoutMs: 10_000,
});
const out = { ...result, left: liveDescendants().length };
Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(out)));
