/**
 * Process chaos (tests/stress/README.md): `kill -9` storms on the main
 * processes of respawning jobs of a real user-mode daemon. Afterwards every
 * job must be running again, the daemon must have no zombie child, and it
 * must still answer and end cleanly on SIGTERM.
 */
import assert from "node:assert/strict";
import { kill } from "../../sys/libc.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { startTestDaemon, waitFor } from "../helpers/test_daemon.ts";
import { fdCount, rssKiB, scale, StressReport } from "./_report.ts";

const SIGKILL = 9;

interface Listed {
  jobs: { job: string; instances: { state: string; processes: { pid: number }[] }[] }[];
}

Deno.test("process chaos: kill -9 storms on respawning jobs; all back, no zombie", async () => {
  const jobCount = scale(10, 50);
  const files: Record<string, string> = {};
  for (let i = 0; i < jobCount; i++) {
    files[`r${i}.conf`] = "respawn\nrespawn limit unlimited\nexec sleep 1000\n";
  }
  await using d = await startTestDaemon(files);
  const report = new StressReport("process-chaos").set("jobs", jobCount);
  try {
    for (let i = 0; i < jobCount; i++) await d.ok("start", `r${i}`);
    await using c = await RawClient.connect(d);
    const list = async () =>
      ((await c.call('{"jsonrpc":"2.0","id":1,"method":"job.list"}')) as { result: Listed })
        .result.jobs;
    const pids = async () =>
      (await list()).flatMap((j) => j.instances.flatMap((i) => i.processes.map((p) => p.pid)));
    report.set("rss before KiB", rssKiB(d.daemonPid)).set("fds before", fdCount(d.daemonPid));
    const seconds = scale(8, 60);
    const target = scale(300, 2000);
    const deadline = performance.now() + seconds * 1000;
    let kills = 0;
    while (performance.now() < deadline && kills < target) {
      const live = await pids();
      // Kill a random half of what runs now, then look again.
      for (const pid of live) {
        if (Math.random() < 0.5) {
          try {
            kill(pid, SIGKILL);
            kills++;
          } catch { /* already gone */ }
        }
      }
      await new Promise((r) => setTimeout(r, (seconds * 1000) / target * 4));
    }
    // A last volley at every job at once, then time the way back.
    for (const pid of await pids()) {
      try {
        kill(pid, SIGKILL);
        kills++;
      } catch { /* already gone */ }
    }
    const t0 = performance.now();
    report.set("inputs tried", kills).set("kill -9 sent", kills);
    await waitFor(`all ${jobCount} jobs running again`, async () => {
      const jobs = await list();
      return jobs.every((j) =>
        j.instances.length === 1 && j.instances[0]!.state === "running" &&
        j.instances[0]!.processes.length === 1
      );
    }, { timeoutMs: 15_000 });
    report.set("all back in ms", Math.round(performance.now() - t0));
    await d.assertNoZombies();
    report.set("zombies", 0).set("daemon alive", d.exitStatus === null);
    report.set("rss after KiB", rssKiB(d.daemonPid)).set("fds after", fdCount(d.daemonPid));
    report.set("failures", 0);
    assert.ok(kills > 0);
    for (let i = 0; i < jobCount; i++) await d.ok("stop", `r${i}`);
    const { status, ms } = await d.terminate();
    report.set("SIGTERM answered in ms", Math.round(ms));
    assert.equal(status.code, 0);
  } finally {
    report.print();
  }
});
