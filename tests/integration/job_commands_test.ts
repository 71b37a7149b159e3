/**
 * Job commands and status lines against the real daemon (see docs/tools.md#status-line,
 * docs/tools.md#job-commands, docs/tools.md#shortcuts): services, instances, tasks, abstract jobs,
 * `--no-wait`, errors and exit statuses, and the shortcuts' `PROG:` prefixes.
 */
import assert from "node:assert/strict";
import { connectSocket } from "../../protocol/client.ts";
import { kill } from "../../sys/libc.ts";
import { cmdline, isAlive, startTestDaemon, waitFor } from "../helpers/test_daemon.ts";

const SIGTERM = 15;

function pidOf(line: string): number {
  const m = /, (?:\([a-z-]+\) )?process (\d+)/.exec(line);
  assert.ok(m, `no pid in ${JSON.stringify(line)}`);
  return Number(m[1]);
}

Deno.test("start, status, list and stop print docs/tools.md#status-line status lines with the real main pid", async () => {
  await using d = await startTestDaemon({ "foo.conf": "exec sleep 60\n" });
  assert.equal(await d.ok("status", "foo"), "foo stop/waiting\n");
  assert.equal(await d.ok("list"), "foo stop/waiting\n");
  const started = await d.ok("start", "foo");
  assert.match(started, /^foo start\/running, process \d+\n$/);
  const pid = pidOf(started);
  assert.deepEqual(cmdline(pid).slice(1), ["60"]);
  assert.match(cmdline(pid)[0] ?? "", /(^|\/)sleep$/);
  assert.equal(await d.ok("status", "foo"), started);
  assert.equal(await d.ok("list"), started);
  assert.equal(await d.ok("stop", "foo"), "foo stop/waiting\n");
  assert.equal(isAlive(pid), false);
  assert.equal(await d.ok("status", "foo"), "foo stop/waiting\n");
});

Deno.test("list shows every job sorted, sub-directory jobs by their slash name", async () => {
  await using d = await startTestDaemon({
    "b.conf": "exec sleep 60\n",
    "a.conf": "exec sleep 60\n",
    "sub/nested.conf": "exec sleep 60\n",
    "abstract.conf": "description 'no process'\n",
  });
  await d.ok("start", "sub/nested");
  await d.ok("start", "abstract");
  const lines = (await d.ok("list")).trimEnd().split("\n");
  assert.equal(lines.length, 4);
  assert.equal(lines[0], "a stop/waiting");
  assert.equal(lines[1], "abstract start/running");
  assert.equal(lines[2], "b stop/waiting");
  assert.match(lines[3] ?? "", /^sub\/nested start\/running, process \d+$/);
  assert.equal(await d.ok("stop", "abstract"), "abstract stop/waiting\n");
  assert.equal(await d.ok("stop", "sub/nested"), "sub/nested stop/waiting\n");
});

Deno.test("instances are named from the template and addressed by KEY=VALUE", async () => {
  await using d = await startTestDaemon({
    "inst.conf": 'usage "start inst N=name"\ninstance $N\nexec sleep 60\n',
  });
  const a = await d.ok("start", "inst", "N=a");
  assert.match(a, /^inst \(a\) start\/running, process \d+\n$/);
  const b = await d.ok("start", "inst", "N=b");
  assert.match(b, /^inst \(b\) start\/running, process \d+\n$/);
  assert.notEqual(pidOf(a), pidOf(b));
  assert.equal(await d.ok("list"), a + b);
  assert.equal(await d.ok("status", "inst", "N=b"), b);
  // With instances running, the template must expand (see docs/tools.md#job-commands).
  assert.deepEqual(await d.initctl("status", "inst"), {
    code: 1,
    stdout: "",
    stderr: "initctl: Unknown parameter: N\nUsage: start inst N=name\n",
  });

  const again = await d.initctl("start", "inst", "N=a");
  assert.deepEqual(again, {
    code: 1,
    stdout: "",
    stderr: "initctl: Job is already running: inst (a)\n",
  });
  const missing = await d.initctl("status", "inst", "N=c");
  assert.deepEqual(missing, { code: 1, stdout: "", stderr: "initctl: Unknown instance: c\n" });
  const noParam = await d.initctl("start", "inst");
  assert.deepEqual(noParam, {
    code: 1,
    stdout: "",
    stderr: "initctl: Unknown parameter: N\nUsage: start inst N=name\n",
  });

  assert.equal(await d.ok("stop", "inst", "N=a"), "inst (a) stop/waiting\n");
  assert.equal(await d.ok("list"), b);
  assert.equal(await d.ok("stop", "inst", "N=b"), "inst (b) stop/waiting\n");
  assert.equal(await d.ok("list"), "inst stop/waiting\n");
});

Deno.test("a task's start waits for it to finish; --no-wait returns while it runs", async () => {
  await using d = await startTestDaemon({
    "t.conf": "task\nexec sleep 0.3\n",
    "slow.conf": "task\nexec sleep 60\n",
  });
  const t0 = performance.now();
  assert.equal(await d.ok("start", "t"), "t stop/waiting\n");
  assert.ok(performance.now() - t0 >= 300, "start returned before the task ended");

  const r = await d.ok("start", "-n", "slow");
  assert.match(r, /^slow start\/(spawned|running), process \d+\n$/);
  const status = await d.waitForStatus("slow", /^slow start\/running, process \d+\n$/);
  assert.equal(pidOf(status), pidOf(r));
  assert.equal(await d.ok("stop", "slow"), "slow stop/waiting\n");
});

Deno.test("an abstract job runs with no process until stopped", async () => {
  await using d = await startTestDaemon({ "abstract.conf": "description 'a state'\n" });
  assert.equal(await d.ok("start", "abstract"), "abstract start/running\n");
  assert.equal(await d.ok("status", "abstract"), "abstract start/running\n");
  const reload = await d.initctl("reload", "abstract");
  assert.deepEqual(reload, {
    code: 1,
    stdout: "",
    stderr: "initctl: Job is not running: abstract\n",
  });
  assert.equal(await d.ok("stop", "abstract"), "abstract stop/waiting\n");
});

Deno.test("status lines list hook processes after the first live process (see docs/tools.md#status-line)", async (t) => {
  await using d = await startTestDaemon({
    "prestart.conf": "pre-start exec sleep 60\nexec sleep 60\n",
    "poststart.conf": "post-start exec sleep 60\nexec sleep 60\n",
    "nomain.conf": "post-start exec sleep 60\n",
    "prestop.conf": "pre-stop exec sleep 60\nexec sleep 60\n",
    "poststop.conf": "post-stop exec sleep 60\nexec sleep 60\n",
  });
  const hookPid = (text: string, name: string) => {
    const m = new RegExp(`\\t${name} process (\\d+)`).exec(text);
    assert.ok(m, text);
    return Number(m[1]);
  };
  await t.step("pre-start", async () => {
    assert.match(await d.ok("start", "-n", "prestart"), /^prestart start\/(starting|pre-start)/);
    const s = await d.waitForStatus("prestart", /^prestart start\/pre-start, process \d+\n$/);
    kill(pidOf(s), SIGTERM); // a pre-start killed by a signal fails the start
    await d.waitForStatus("prestart", /^prestart stop\/waiting\n$/);
  });
  await t.step("post-start", async () => {
    await d.ok("start", "-n", "poststart");
    const s = await d.waitForStatus(
      "poststart",
      /^poststart start\/post-start, process \d+\n\tpost-start process \d+\n$/,
    );
    kill(hookPid(s, "post-start"), SIGTERM);
    const running = await d.waitForStatus("poststart", /^poststart start\/running, process \d+\n$/);
    assert.equal(pidOf(running), pidOf(s));
    assert.equal(await d.ok("stop", "poststart"), "poststart stop/waiting\n");
  });
  await t.step("post-start without a main process", async () => {
    await d.ok("start", "-n", "nomain");
    const s = await d.waitForStatus("nomain", /^nomain start\/post-start, \(post-start\) process/);
    assert.match(s, /^nomain start\/post-start, \(post-start\) process \d+\n$/);
    kill(pidOf(s), SIGTERM);
    await d.waitForStatus("nomain", /^nomain start\/running\n$/);
    assert.equal(await d.ok("stop", "nomain"), "nomain stop/waiting\n");
  });
  await t.step("pre-stop", async () => {
    const main = pidOf(await d.ok("start", "prestop"));
    assert.match(await d.ok("stop", "-n", "prestop"), /^prestop stop\//);
    const s = await d.waitForStatus("prestop", /^prestop stop\/pre-stop, process \d+\n\tpre-stop/);
    assert.match(s, /^prestop stop\/pre-stop, process \d+\n\tpre-stop process \d+\n$/);
    assert.equal(pidOf(s), main);
    kill(hookPid(s, "pre-stop"), SIGTERM);
    await d.waitForStatus("prestop", /^prestop stop\/waiting\n$/);
  });
  await t.step("post-stop", async () => {
    await d.ok("start", "poststop");
    await d.ok("stop", "-n", "poststop");
    const s = await d.waitForStatus("poststop", /^poststop stop\/post-stop, process \d+\n$/);
    const again = await d.initctl("stop", "poststop");
    assert.deepEqual(again, {
      code: 1,
      stdout: "",
      stderr: "initctl: Job has already been stopped: poststop\n",
    });
    kill(pidOf(s), SIGTERM);
    await d.waitForStatus("poststop", /^poststop stop\/waiting\n$/);
  });
});

Deno.test("restart replaces the main process; reload sends HUP to it", async () => {
  await using d = await startTestDaemon({ "foo.conf": "exec sleep 60\n" });
  const first = pidOf(await d.ok("start", "foo"));
  const restarted = await d.ok("restart", "foo");
  assert.match(restarted, /^foo start\/running, process \d+\n$/);
  const second = pidOf(restarted);
  assert.notEqual(second, first);
  assert.equal(isAlive(first), false);
  // `sleep` dies of SIGHUP, so the job simply stops (see docs/behaviour.md#stopping).
  assert.equal(await d.ok("reload", "foo"), "");
  await d.waitForStatus("foo", /^foo stop\/waiting\n$/);
  assert.equal(isAlive(second), false);
  await d.waitForOutput(`foo main process (${second}) killed by HUP signal`);
});

Deno.test("job command errors go to stderr as `initctl: MESSAGE` with exit 1", async () => {
  await using d = await startTestDaemon({
    "foo.conf": "exec sleep 60\n",
    "fails.conf": "pre-start exec false\nexec sleep 60\n",
  });
  const cases: [string[], string][] = [
    [["start", "nosuch"], "initctl: Unknown job: nosuch\n"],
    [["status", "nosuch"], "initctl: Unknown job: nosuch\n"],
    [["stop", "foo"], "initctl: Unknown instance: \n"],
    [["restart", "foo"], "initctl: Unknown instance: \n"],
    [["reload", "foo"], "initctl: Unknown instance: \n"],
    [["start", "foo", "NOEQUALS"], "initctl: Env must be KEY=VALUE pairs\n"],
    [["start", "fails"], "initctl: Job failed to start\n"],
    [["start"], "initctl: missing job name\nTry `initctl --help' for more information.\n"],
    [
      ["frobnicate"],
      "initctl: invalid command: frobnicate\nTry `initctl --help' for more information.\n",
    ],
    [[], "initctl: missing command\nTry `initctl --help' for more information.\n"],
  ];
  for (const [args, stderr] of cases) {
    assert.deepEqual(await d.initctl(...args), { code: 1, stdout: "", stderr }, args.join(" "));
  }
  await d.ok("start", "foo");
  assert.deepEqual(await d.initctl("start", "foo"), {
    code: 1,
    stdout: "",
    stderr: "initctl: Job is already running: foo\n",
  });
  assert.equal(await d.ok("-q", "stop", "foo"), "");
  assert.equal(await d.ok("status", "fails"), "fails stop/waiting\n");
});

Deno.test("the shortcuts act as initctl COMMAND and prefix errors with their own name", async () => {
  await using d = await startTestDaemon({ "foo.conf": "exec sleep 60\n" });
  const started = await d.run("start", "foo");
  assert.equal(started.stderr, "");
  assert.match(started.stdout, /^foo start\/running, process \d+\n$/);
  assert.deepEqual(await d.run("status", "foo"), started);
  const restarted = await d.run("restart", "foo");
  assert.match(restarted.stdout, /^foo start\/running, process \d+\n$/);
  assert.notEqual(pidOf(restarted.stdout), pidOf(started.stdout));
  assert.deepEqual(await d.run("start", "foo"), {
    code: 1,
    stdout: "",
    stderr: "start: Job is already running: foo\n",
  });
  // Options may follow the job name; -n prints wherever the job happens to be.
  const stopping = await d.run("stop", "foo", "-n");
  assert.equal(stopping.stderr, "");
  assert.match(stopping.stdout, /^foo stop\/[a-z-]+(, process \d+)?\n$/);
  await d.waitForStatus("foo", /^foo stop\/waiting\n$/);
  assert.deepEqual(await d.run("stop", "foo"), {
    code: 1,
    stdout: "",
    stderr: "stop: Unknown instance: \n",
  });
  assert.deepEqual(await d.run("status", "nosuch"), {
    code: 1,
    stdout: "",
    stderr: "status: Unknown job: nosuch\n",
  });
  assert.deepEqual(await d.run("reload", "foo"), {
    code: 1,
    stdout: "",
    stderr: "reload: Unknown instance: \n",
  });
  assert.deepEqual(await d.run("restart"), {
    code: 1,
    stdout: "",
    stderr: "restart: missing job name\nTry `restart --help' for more information.\n",
  });
});

Deno.test("a job whose main process exits is shown stopped and leaves nothing behind", async () => {
  await using d = await startTestDaemon({ "quick.conf": "exec sh -c 'sleep 0.2'\n" });
  await d.ok("start", "quick");
  await waitFor(
    "quick to stop",
    async () => (await d.ok("status", "quick")) === "quick stop/waiting\n",
  );
  assert.deepEqual(d.markedPids(), []);
});

Deno.test("stop run inside pre-start cancels the start (see docs/behaviour.md#from-inside-a-job)", async () => {
  await using d = await startTestDaemon({
    "cancel.conf": 'pre-start script\n  "$DAYBREAK_ROOT/bin/initctl" stop\n  exit 0\nend script\n' +
      "exec sleep 60\n",
  });
  const r = await d.initctl("start", "cancel");
  assert.equal(r.stderr, "");
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^cancel stop\/[a-z-]+(, process \d+)?\n$/);
  await d.waitForStatus("cancel", /^cancel stop\/waiting\n$/);
  assert.deepEqual(d.markedPids(), []);
});

Deno.test("stop sends SIGKILL after the kill timeout to a job ignoring SIGTERM", async () => {
  await using d = await startTestDaemon({
    "stubborn.conf": "kill timeout 1\nexec sh -c 'trap \"\" TERM; while :; do sleep 0.1; done'\n",
  });
  const pid = pidOf(await d.ok("start", "stubborn"));
  // Timed over the socket: initctl's own start-up (seconds on a loaded machine) is not the
  // daemon's doing. Without the 1 s kill timeout, the default 5 s would apply.
  const client = await connectSocket(d.socket);
  const t0 = performance.now();
  try {
    await client.call("job.stop", { job: "stubborn" });
  } finally {
    client.close();
  }
  const ms = performance.now() - t0;
  assert.ok(ms >= 900 && ms < 4000, `stop took ${Math.round(ms)} ms`);
  assert.equal(await d.ok("status", "stubborn"), "stubborn stop/waiting\n");
  assert.equal(isAlive(pid), false);
  await d.waitForOutput(`stubborn main process (${pid}) killed by KILL signal`);
});

Deno.test("a respawning job gives up after its respawn limit", async () => {
  await using d = await startTestDaemon({ "rs.conf": "respawn\nrespawn limit 2 10\nexec false\n" });
  await d.ok("start", "-n", "rs");
  await d.waitForOutput("rs respawning too fast, stopped");
  await d.waitForStatus("rs", /^rs stop\/waiting\n$/);
  assert.equal(d.output.split("rs main process ended, respawning").length - 1, 2);
});
