/**
 * Issue 14, item 11: `start --no-wait` of an instance whose process fails at once answered
 * `Unknown instance: NAME`. Upstart's initctl shows an instance that vanished before its status
 * was read as `JOB stop/waiting`, exit 0 (see docs/tools.md#job-commands: `-n` prints wherever the
 * job happened to be); a waiting start still reports `Job failed to start`.
 */
import assert from "node:assert/strict";
import { startTestDaemon } from "../helpers/test_daemon.ts";

Deno.test("a --no-wait start whose instance fails at once shows JOB stop/waiting", async () => {
  await using d = await startTestDaemon({
    "bad.conf": "exec /nonexistent/binary\n",
    "ibad.conf": "instance $N\nexec /nonexistent/binary\n",
  });
  const ok = (stdout: string) => ({ code: 0, stdout, stderr: "" });
  assert.deepEqual(await d.initctl("start", "--no-wait", "ibad", "N=1"), ok("ibad stop/waiting\n"));
  assert.deepEqual(await d.initctl("start", "-n", "bad", "X=1"), ok("bad stop/waiting\n"));
  assert.deepEqual(await d.initctl("start", "--no-wait", "bad"), ok("bad stop/waiting\n"));
  assert.deepEqual(await d.initctl("start", "ibad", "N=1"), {
    code: 1,
    stdout: "",
    stderr: "initctl: Job failed to start\n",
  });
  // A lookup that names no instance at all is still an error.
  assert.deepEqual(await d.initctl("status", "ibad", "N=1"), {
    code: 1,
    stdout: "",
    stderr: "initctl: Unknown instance: 1\n",
  });
});
