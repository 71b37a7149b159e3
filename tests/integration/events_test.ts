/**
 * `initctl emit` against the real daemon (see docs/events.md#job-events,
 * docs/tools.md#event-and-config-commands): waiting until the jobs an event started have finished,
 * `--no-wait`, `Event failed` and the `NAME/failed` event that follows, event variables reaching
 * jobs, and the command's own errors.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startTestDaemon, waitFor } from "../helpers/test_daemon.ts";

Deno.test("emit waits until the task it started has finished", async () => {
  await using d = await startTestDaemon({
    "t.conf":
      'start on go\ntask\nexec sh -c \'sleep 0.3; echo "$A $UPSTART_EVENTS" > "$HOME/out"\'\n',
  });
  assert.equal(await d.ok("emit", "go", "A=1"), "");
  // Only a finished task has written its file.
  assert.equal(await Deno.readTextFile(join(d.home, "out")), "1 go\n");
  assert.equal(await d.ok("status", "t"), "t stop/waiting\n");
});

Deno.test("emit --no-wait returns while the jobs it started still run", async () => {
  await using d = await startTestDaemon({ "t.conf": "start on go\ntask\nexec sleep 60\n" });
  assert.equal(await d.ok("emit", "--no-wait", "go"), "");
  const status = await d.waitForStatus("t", /^t start\/running, process \d+\n$/);
  assert.match(status, /^t start\/running/);
  assert.equal(await d.ok("stop", "t"), "t stop/waiting\n");
});

Deno.test("emit prints `Event failed` when a job it started fails; NAME/failed follows", async () => {
  await using d = await startTestDaemon({
    "boom.conf": "start on boom\ntask\nexec false\n",
    "after.conf":
      'start on boom/failed\ntask\nexec sh -c \'echo "$K $UPSTART_EVENTS" > "$HOME/failed"\'\n',
  });
  assert.deepEqual(await d.initctl("emit", "boom", "K=v"), {
    code: 1,
    stdout: "",
    stderr: "initctl: Event failed\n",
  });
  const text = await waitFor("the boom/failed job", async () => {
    try {
      return await Deno.readTextFile(join(d.home, "failed"));
    } catch {
      return null;
    }
  });
  assert.equal(text, "v boom/failed\n");
  await d.waitForStatus("after", /^after stop\/waiting\n$/);
});

Deno.test("a service started by an event gets the event's variables, stop on stops it", async () => {
  await using d = await startTestDaemon({
    "svc.conf": "start on up\nstop on down\nenv OVER=default\n" +
      'exec sh -c \'echo "$OVER $X $UPSTART_EVENTS" > "$HOME/svc"; exec sleep 60\'\n',
  });
  await d.ok("emit", "up", "OVER=fromevent", "X=2");
  assert.match(await d.ok("status", "svc"), /^svc start\/running, process \d+\n$/);
  const text = await waitFor("svc's output", async () => {
    try {
      const t = await Deno.readTextFile(join(d.home, "svc"));
      return t.endsWith("\n") ? t : null;
    } catch {
      return null;
    }
  });
  assert.equal(text, "fromevent 2 up\n");
  await d.ok("emit", "down");
  assert.equal(await d.ok("status", "svc"), "svc stop/waiting\n");
});

Deno.test("emit accepts names with a slash and rejects bad arguments", async () => {
  await using d = await startTestDaemon({
    "n.conf": "start on net/up\ntask\nexec sh -c 'echo ok > \"$HOME/n\"'\n",
  });
  assert.equal(await d.ok("emit", "net/up"), "");
  assert.equal(await Deno.readTextFile(join(d.home, "n")), "ok\n");
  const cases: [string[], string][] = [
    [["emit"], "initctl: missing event name\nTry `initctl --help' for more information.\n"],
    [["emit", "x", "BAD"], "initctl: Env must be KEY=VALUE pairs\n"],
    [["emit", ""], "initctl: Name may not be empty string\n"],
  ];
  for (const [args, stderr] of cases) {
    assert.deepEqual(await d.initctl(...args), { code: 1, stdout: "", stderr }, args.join(" "));
  }
});

Deno.test("the startup event starts jobs when not disabled", async () => {
  await using d = await startTestDaemon(
    { "svc.conf": "start on startup\nexec sleep 60\n" },
    { startupEvent: true },
  );
  await d.waitForStatus("svc", /^svc start\/running, process \d+\n$/);
});

Deno.test("job events block: `start on starting A` runs first, `stop on stopping A` stops", async () => {
  await using d = await startTestDaemon({
    "a.conf": "exec sleep 60\n",
    "before.conf": "start on starting a\npre-start exec sleep 0.4\nexec sleep 60\n",
    "with.conf": "stop on stopping a\nexec sleep 60\n",
    "after.conf": 'start on stopped a\ntask\nexec sh -c \'echo "$JOB $RESULT" > "$HOME/after"\'\n',
  });
  await d.ok("start", "with");
  const t0 = performance.now();
  assert.match(await d.ok("start", "a"), /^a start\/running, process \d+\n$/);
  assert.ok(performance.now() - t0 >= 400, "a did not wait for before's pre-start");
  assert.match(await d.ok("status", "before"), /^before start\/running, process \d+\n$/);
  assert.equal(await d.ok("stop", "a"), "a stop/waiting\n");
  assert.equal(await d.ok("status", "with"), "with stop/waiting\n");
  const text = await waitFor("the stopped-a task", async () => {
    try {
      return await Deno.readTextFile(join(d.home, "after"));
    } catch {
      return null;
    }
  });
  assert.equal(text, "a ok\n");
  await d.ok("stop", "before");
});
