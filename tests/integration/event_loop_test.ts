/**
 * Jobs that trigger themselves, under the real daemon (see docs/behaviour.md#event-loops): the
 * loop is held with a message naming the job, and throughout the daemon answers within a second,
 * leaves no zombie, and ends promptly on SIGTERM.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startTestDaemon, type TestDaemon } from "../helpers/test_daemon.ts";
import { probeFor } from "../helpers/rpc_probe.ts";

const CORPUS_BRIDGE = fileURLToPath(
  new URL(
    "../../../shared/corpus/Webconverger__webc/etc/init/startpar-bridge.conf",
    import.meta.url,
  ),
);

/** Probes for `ms` while the loop runs, then checks zombies and a prompt SIGTERM. */
async function assertStaysResponsive(d: TestDaemon, ms: number): Promise<void> {
  const probes = await probeFor(d.socket, ms, 50, 1000);
  const slow = probes.filter((p) => p === null || p > 1000);
  assert.deepEqual(slow, [], `answers within a second: ${JSON.stringify(probes)}`);
  await d.assertNoZombies();
  const { status, ms: took } = await d.terminate(5000);
  assert.equal(status.code, 0, d.output);
  assert.ok(took < 5000, `SIGTERM took ${took} ms`);
}

Deno.test("a task that restarts itself on its own stop is held, and the daemon keeps answering", async () => {
  await using d = await startTestDaemon({
    "loop.conf": "start on go or stopped JOB=loop\ntask\nexec true\n",
  });
  const emitted = d.initctl("emit", "--no-wait", "go");
  assert.equal((await emitted).code, 0);
  await d.waitForOutput(/loop started by its own events 11 times within 5s \(event loop/);
  await assertStaysResponsive(d, 1500);
  const out = await d.finalOutput();
  assert.equal(out.match(/event loop/g)?.length, 1, "said once");
});

Deno.test("an abstract job that starts itself synchronously is held within one event", async () => {
  await using d = await startTestDaemon({
    "spin.conf": "start on go or started JOB=spin\ninstance i${INSTANCE:-}\n",
  });
  assert.equal((await d.initctl("emit", "--no-wait", "go")).code, 0);
  await d.waitForOutput("spin started by its own events 11 times");
  await assertStaysResponsive(d, 1000);
});

Deno.test({
  name: "a renamed copy of startpar-bridge.conf is held; the daemon answers, reaps and stops",
  ignore: !(() => {
    try {
      return Deno.statSync(CORPUS_BRIDGE).isFile;
    } catch {
      return false;
    }
  })(),
  async fn() {
    const stubDir = await Deno.makeTempDir({ prefix: "daybreak-stub-" });
    try {
      // The helper the job runs: a stand-in that exits at once, so real processes come and go.
      const stub = join(stubDir, "startpar-upstart-inject");
      await Deno.writeTextFile(stub, "#!/bin/sh\nexit 0\n");
      await Deno.chmod(stub, 0o755);
      await using d = await startTestDaemon({
        "bridge-copy.conf": await Deno.readTextFile(CORPUS_BRIDGE),
        "other.conf": "exec sleep 60\n",
      }, { env: { PATH: `${stubDir}:/usr/bin:/bin` } });
      assert.equal((await d.initctl("start", "other")).code, 0);
      await d.waitForOutput(/bridge-copy started by its own events 11 times within 5s/);
      await assertStaysResponsive(d, 2000);
    } finally {
      await Deno.remove(stubDir, { recursive: true });
    }
  },
});
