/**
 * The integration-test daemon's own checks can fail: a zombie child of the
 * daemon is seen, and a process left behind with the test's marker fails the
 * teardown and is killed.
 */
import assert from "node:assert/strict";
import { childrenOf, isAlive, procState, startTestDaemon, waitFor } from "./test_daemon.ts";

Deno.test("assertNoZombies() fails while the daemon cannot reap an ended job", async () => {
  // The job ends when told, once the daemon is stopped (a fixed sleep could end, and be reaped,
  // before a loaded machine gets to stop the daemon).
  await using d = await startTestDaemon({
    "quick.conf": "exec sh -c 'while [ ! -e \"$HOME/end\" ]; do sleep 0.05; done'\n",
  });
  await d.ok("start", "quick");
  Deno.kill(d.daemonPid, "SIGSTOP");
  try {
    await Deno.writeTextFile(`${d.home}/end`, "");
    const zombie = await waitFor("a zombie child", () => {
      return childrenOf(d.daemonPid).find((p) => procState(p) === "Z");
    });
    assert.ok(zombie > 0);
    await assert.rejects(d.assertNoZombies(100), /has zombie children/);
  } finally {
    Deno.kill(d.daemonPid, "SIGCONT");
  }
  await d.assertNoZombies();
  await d.waitForStatus("quick", /^quick stop\/waiting\n$/);
});

Deno.test("teardown fails and kills a process left behind with the marker", async () => {
  // Disposed explicitly below; `await using` only cleans up if the test fails before that.
  await using d = await startTestDaemon();
  // Started outside the daemon, in a session of its own, so only the marker ties it to the test.
  const stray = new Deno.Command("setsid", {
    args: ["-f", "sleep", "60"],
    clearEnv: true,
    env: { PATH: "/usr/bin:/bin", DAYBREAK_TEST_ID: d.testId },
    stdout: "null",
    stderr: "null",
  });
  assert.equal((await stray.output()).code, 0);
  const [pid] = await waitFor("the stray process", () => {
    const pids = d.markedPids();
    return pids.length > 0 ? pids : null;
  });
  await assert.rejects(d[Symbol.asyncDispose](), /processes left behind: \d+ sleep 60/);
  assert.equal(isAlive(pid!), false);
  assert.equal(d.exitStatus?.code, 0);
});

Deno.test("teardown fails when the daemon died during the test", async () => {
  await using d = await startTestDaemon({ "foo.conf": "exec sleep 60\n" });
  await d.ok("start", "foo");
  Deno.kill(d.daemonPid, "SIGKILL");
  await waitFor("the daemon to end", () => d.exitStatus !== null);
  // Its job is left behind as well: both are reported, and the job is killed.
  await assert.rejects(d[Symbol.asyncDispose](), (e: unknown) => {
    assert.ok(e instanceof AggregateError);
    assert.match(String(e.errors[0]), /daemon died during the test \(137\)/);
    assert.match(String(e.errors[1]), /processes left behind: \d+ \S*sleep 60/);
    return true;
  });
  assert.deepEqual(d.markedPids(), []);
});
