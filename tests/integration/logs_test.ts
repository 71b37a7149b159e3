/**
 * Job output logs against the real daemon (see docs/behaviour.md#job-logs) and `initctl log`:
 * file names, mode 0640, creation on first output only, appending, and
 * re-creation after deletion.
 *
 * daybreak captures output through pipes, not a pty, so lines keep their own
 * `\n` endings (the docs/behaviour.md#fix-log-files improvement).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { modeOf, startTestDaemon, waitFor } from "../helpers/test_daemon.ts";

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

Deno.test("a job's output goes to JOB.log, mode 0640, appended on every run", async () => {
  await using d = await startTestDaemon({
    "hello.conf": "task\nexec sh -c 'echo hello; echo oops >&2'\n",
  });
  const path = join(d.logDir, "hello.log");
  assert.equal(await readOrNull(path), null);
  assert.equal(await d.ok("start", "hello"), "hello stop/waiting\n");
  assert.equal(await Deno.readTextFile(path), "hello\noops\n");
  assert.equal(await modeOf(path), 0o640);
  await d.ok("start", "hello");
  assert.equal(await Deno.readTextFile(path), "hello\noops\nhello\noops\n");
});

Deno.test("a job that prints nothing leaves no log file", async () => {
  await using d = await startTestDaemon({
    "quiet.conf": "task\nexec true\n",
    "none.conf": "task\nconsole none\nexec echo dropped\n",
  });
  await d.ok("start", "quiet");
  await d.ok("start", "none");
  assert.deepEqual([...Deno.readDirSync(d.logDir)], []);
});

Deno.test("instance logs are JOB-INSTANCE.log with every / turned into _", async () => {
  await using d = await startTestDaemon({
    "sub/ilogger.conf": "instance $N\ntask\nexec sh -c 'echo \"I am $N\"'\n",
  });
  await d.ok("start", "sub/ilogger", "N=a/b");
  await d.ok("start", "sub/ilogger", "N=c");
  assert.equal(await Deno.readTextFile(join(d.logDir, "sub_ilogger-a_b.log")), "I am a/b\n");
  assert.equal(await Deno.readTextFile(join(d.logDir, "sub_ilogger-c.log")), "I am c\n");
  assert.deepEqual(
    [...Deno.readDirSync(d.logDir)].map((e) => e.name).sort(),
    ["sub_ilogger-a_b.log", "sub_ilogger-c.log"],
  );
});

Deno.test("a log file deleted while the job runs is created again", async () => {
  await using d = await startTestDaemon({
    "ticker.conf": "exec sh -c 'i=0; while :; do echo \"tick $i\"; i=$((i+1)); sleep 0.05; done'\n",
  });
  const path = join(d.logDir, "ticker.log");
  await d.ok("start", "ticker");
  await waitFor("the first ticks", async () => (await readOrNull(path))?.includes("tick 1"));
  await Deno.remove(path);
  const again = await waitFor("the log to come back", () => readOrNull(path));
  assert.match(again, /^tick \d+\n/);
  assert.doesNotMatch(again, /^tick 0\n/);
  assert.equal(await modeOf(path), 0o640);
  await d.ok("stop", "ticker");
});

Deno.test("initctl log -n prints the last lines of the instance's log", async () => {
  await using d = await startTestDaemon({
    "many.conf":
      "task\nexec sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo \"line $i\"; done'\n",
    "inst.conf": "instance $N\ntask\nexec sh -c 'echo \"only $N\"'\n",
    "silent.conf": "console none\nexec sleep 60\n",
  });
  await d.ok("start", "many");
  const lines = (n: number) =>
    Array.from({ length: n }, (_, i) => `line ${12 - n + i + 1}\n`).join("");
  assert.equal(await d.ok("log", "many"), lines(10));
  assert.equal(await d.ok("log", "-n", "3", "many"), lines(3));
  assert.equal(await d.ok("log", "many", "--lines", "1"), lines(1));
  await d.ok("start", "inst", "N=x");
  assert.equal(await d.ok("log", "inst", "N=x"), "only x\n");
  assert.deepEqual(await d.initctl("log", "silent"), {
    code: 1,
    stdout: "",
    stderr: "initctl: Job does not log to a file: silent\n",
  });
  const missing = await d.initctl("log", "inst", "N=never");
  assert.equal(missing.code, 1);
  assert.equal(missing.stdout, "");
  assert.equal(
    missing.stderr,
    `initctl:${join(d.logDir, "inst-never.log")}: No such file or directory\n`,
  );
});

Deno.test("--logdir puts the logs in another directory", async () => {
  const logdir = await Deno.makeTempDir({ prefix: "daybreak-it-logs-" });
  try {
    await using d = await startTestDaemon(
      { "hello.conf": "task\nexec echo hi\n" },
      { args: ["--logdir", logdir] },
    );
    await d.ok("start", "hello");
    assert.equal(await Deno.readTextFile(join(logdir, "hello.log")), "hi\n");
    assert.equal(await readOrNull(join(d.logDir, "hello.log")), null);
    assert.equal(await d.ok("log", "hello"), "hi\n");
  } finally {
    await Deno.remove(logdir, { recursive: true });
  }
});
