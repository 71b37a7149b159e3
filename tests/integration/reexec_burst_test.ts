/**
 * A re-exec asked for while a burst of spawns is under way (docs/reexec.md): spawns run off the
 * JS thread and their pids come back later, so the daemon waits for them before it takes its
 * state. Afterwards every job runs exactly one process, the one `initctl status` shows.
 */
import assert from "node:assert/strict";
import { connectSocket } from "../../protocol/client.ts";
import { childrenOf, cmdline, startTestDaemon, waitFor } from "../helpers/test_daemon.ts";

const N = 150;

Deno.test("re-exec during a burst of spawns: every job keeps exactly its one process", async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < N; i++) files[`b${i}.conf`] = "start on go\nexec sleep 1000\n";
  await using d = await startTestDaemon(files);
  const daemonPid = d.daemonPid;
  // The event starts all N; the re-exec request follows at once, into the burst.
  const client = await connectSocket(d.socket);
  try {
    await Promise.all([
      client.call("event.emit", { name: "go", env: [], wait: false }).catch(() => null),
      client.call("daemon.reexec", {}),
    ]);
  } finally {
    client.close();
  }
  await d.waitForOutput("Re-executed", { timeoutMs: 30_000 });
  assert.equal(d.daemonPid, daemonPid);

  const sleeps = () =>
    childrenOf(daemonPid).filter((p) => /(^|\/)sleep$/.test(cmdline(p)[0] ?? "")).sort((a, b) =>
      a - b
    );
  const shown = await waitFor("every job running", async () => {
    const out = await d.ok("list");
    const pids = [...out.matchAll(/^b\d+ start\/running, process (\d+)$/gm)].map((m) =>
      Number(m[1])
    );
    return pids.length === N ? pids.sort((a, b) => a - b) : null;
  }, { timeoutMs: 30_000 });
  assert.equal(new Set(shown).size, N, "one pid per job");
  assert.deepEqual(sleeps(), shown, "the daemon's processes are exactly the ones it shows");
  await d.assertNoZombies();
});
