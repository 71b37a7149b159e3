/**
 * Configuration commands and reloading against the real daemon (see docs/configuration.md#overrides
 * – docs/configuration.md#reload, docs/tools.md#event-and-config-commands): `show-config [-e]`,
 * `check-config`, `reload-configuration`, the directory watch picking up created, modified and
 * deleted files, `.override` files with `manual`, and broken files reported while the
 * other jobs keep running.
 */
import assert from "node:assert/strict";
import { startTestDaemon, waitFor } from "../helpers/test_daemon.ts";

const COMPLEX = "emits boing\nemits blip\nstart on starting A and (B or C var=2)\n" +
  "stop on bar HELLO=world testing=123 or stopping wibble\nexec sleep 60\n";

Deno.test("show-config prints the spec's canonical and enumerated forms", async () => {
  await using d = await startTestDaemon({
    "complex.conf": COMPLEX,
    "plain.conf": "exec sleep 60\n",
  });
  assert.equal(
    await d.ok("show-config", "complex"),
    "complex\n  emits boing\n  emits blip\n  start on (starting A and (B or C var=2))\n" +
      "  stop on (bar HELLO=world testing=123 or stopping wibble)\n",
  );
  assert.equal(
    await d.ok("show-config", "-e", "complex"),
    "complex\n  emits boing\n  emits blip\n  start on starting (job: A, env:)\n" +
      "  start on B (job:, env:)\n  start on C (job:, env: var=2)\n" +
      "  stop on bar (job:, env: HELLO=world testing=123)\n" +
      "  stop on stopping (job: wibble, env:)\n",
  );
  const all = await d.ok("show-config");
  assert.ok(all.startsWith("complex\n"));
  assert.ok(all.endsWith("\nplain\n"), all);
  assert.deepEqual(await d.initctl("show-config", "nosuch"), {
    code: 1,
    stdout: "",
    stderr: "initctl: Unknown job: nosuch\n",
  });
});

Deno.test("check-config reports unknown jobs and events and exits 1", async () => {
  await using d = await startTestDaemon({
    "cc.conf": "start on started grape\nstop on peach\nexec sleep 60\n",
    "ok.conf": "start on started cc\nexec sleep 60\n",
  });
  assert.deepEqual(await d.initctl("check-config"), {
    code: 1,
    stdout: "cc\n  start on: unknown job grape\n  stop on: unknown event peach\n",
    stderr: "",
  });
  assert.deepEqual(await d.initctl("check-config", "ok"), { code: 0, stdout: "", stderr: "" });
  assert.deepEqual(await d.initctl("check-config", "-i", "peach", "cc"), {
    code: 1,
    stdout: "cc\n  start on: unknown job grape\n",
    stderr: "",
  });
  assert.deepEqual(await d.initctl("check-config", "nosuch"), {
    code: 1,
    stdout: "",
    stderr: "initctl: Invalid job class: nosuch\n",
  });
  await d.writeJob("grape", "emits peach\nexec sleep 60\n");
  await d.ok("reload-configuration");
  assert.deepEqual(await d.initctl("check-config"), { code: 0, stdout: "", stderr: "" });
});

Deno.test("check-config --warn reports every unknown leaf of an `or`", async () => {
  await using d = await startTestDaemon({
    "w.conf": "start on startup or nothing-emits-this\nexec sleep 60\n",
  });
  assert.deepEqual(await d.initctl("check-config"), { code: 0, stdout: "", stderr: "" });
  assert.deepEqual(await d.initctl("check-config", "--warn"), {
    code: 1,
    stdout: "w\n  start on: unknown event nothing-emits-this\n",
    stderr: "",
  });
});

Deno.test("reload-configuration picks up a new file at once", async () => {
  await using d = await startTestDaemon({ "a.conf": "exec sleep 60\n" });
  await d.writeJob("b", "exec sleep 60\n");
  assert.equal(await d.ok("reload-configuration"), "");
  assert.equal(await d.ok("list"), "a stop/waiting\nb stop/waiting\n");
});

Deno.test("the watch reloads on create, modify and delete", async (t) => {
  await using d = await startTestDaemon({ "a.conf": "exec sleep 60\n" });
  const listed = (text: string) => async () => (await d.ok("list")) === text;
  await t.step("create", async () => {
    await d.writeJob("b", 'usage "first"\nexec sleep 60\n');
    await d.writeJob("sub/c", "exec sleep 60\n");
    await waitFor("b and sub/c", listed("a stop/waiting\nb stop/waiting\nsub/c stop/waiting\n"));
    assert.equal(await d.ok("usage", "b"), "Usage: first\n");
  });
  await t.step("modify", async () => {
    await d.writeJob("b", 'usage "second"\nexec sleep 60\n');
    await waitFor("the new usage", async () => (await d.ok("usage", "b")) === "Usage: second\n");
    // Editors save by writing a temporary file and renaming it over the old one.
    await Deno.writeTextFile(`${d.jobPath("b")}.tmp`, 'usage "third"\nexec sleep 60\n');
    await Deno.rename(`${d.jobPath("b")}.tmp`, d.jobPath("b"));
    await waitFor("the renamed file", async () => (await d.ok("usage", "b")) === "Usage: third\n");
  });
  await t.step("delete", async () => {
    await d.removeJob("b");
    await d.removeJob("sub/c");
    await waitFor("b to go", listed("a stop/waiting\n"));
  });
  await t.step("delete while running: the instance runs on, then the job goes", async () => {
    const started = await d.ok("start", "a");
    await d.removeJob("a");
    await d.writeJob("marker", "exec sleep 60\n");
    // Once the marker is listed, the deletion has been seen too.
    await waitFor("the marker", async () => (await d.ok("list")).includes("marker stop/waiting"));
    assert.equal(await d.ok("status", "a"), started);
    assert.equal(await d.ok("stop", "a"), "a stop/waiting\n");
    await waitFor("a to go", listed("marker stop/waiting\n"));
  });
});

Deno.test("an override with `manual` disables start on until it is removed", async () => {
  await using d = await startTestDaemon({ "svc.conf": "start on go\nexec sleep 60\n" });
  assert.equal(await d.ok("show-config", "svc"), "svc\n  start on go\n");
  await d.writeJob("svc.override", "manual\n");
  await waitFor("manual to apply", async () => (await d.ok("show-config", "svc")) === "svc\n");
  await d.ok("emit", "go");
  assert.equal(await d.ok("status", "svc"), "svc stop/waiting\n");
  // A manual job can still be started by hand.
  assert.match(await d.ok("start", "svc"), /^svc start\/running, process \d+\n$/);
  await d.ok("stop", "svc");
  await d.removeJob("svc.override");
  await waitFor("start on to return", async () => {
    return (await d.ok("show-config", "svc")) === "svc\n  start on go\n";
  });
  await d.ok("emit", "go");
  assert.match(await d.ok("status", "svc"), /^svc start\/running, process \d+\n$/);
  await d.ok("stop", "svc");
});

Deno.test("a broken file is reported; the other jobs load and keep running", async () => {
  await using d = await startTestDaemon({
    "good.conf": "exec sleep 60\n",
    "broken.conf": "start on startup or\nexec true\n",
  });
  const path = d.jobPath("broken");
  const reported = await d.waitForOutput(/Expected event/);
  const line = reported.split("\n").find((l) => l.includes("Expected event"));
  assert.match(line ?? "", new RegExp(`^init:${path}:1:\\d+: Expected event$`));
  assert.equal(await d.ok("list"), "good stop/waiting\n");
  const check = await d.initctl("check-config");
  assert.equal(check.code, 1);
  assert.equal(check.stdout, `broken\n  ${line?.slice("init:".length)}\n`);

  const running = await d.ok("start", "good");
  await d.writeJob("good", "exec sleep 60\nbogus stanza\n");
  await d.waitForOutput(`init:${d.jobPath("good")}:2:1: Unknown stanza`);
  // The running instance keeps its old definition.
  assert.equal(await d.ok("status", "good"), running);
  await d.writeJob("broken", "exec sleep 60\n");
  await waitFor("broken to be fixed", async () => {
    return (await d.ok("list")).includes("broken stop/waiting");
  });
  assert.equal(await d.ok("status", "good"), running);
  assert.equal(await d.ok("stop", "good"), "good stop/waiting\n");
  // Stopped, the broken definition takes over: the job is gone.
  await waitFor("good to go", async () => (await d.ok("list")) === "broken stop/waiting\n");
});

Deno.test("SIGHUP to the daemon reloads the configuration", async () => {
  await using d = await startTestDaemon({ "a.conf": "exec sleep 60\n" });
  await d.ok("log-priority", "info");
  const before = d.output.split("Reloading configuration").length;
  Deno.kill(d.daemonPid, "SIGHUP");
  await waitFor("a reload", () => d.output.split("Reloading configuration").length > before);
  assert.equal(await d.ok("list"), "a stop/waiting\n");
});

Deno.test("a broken override is reported and ignored as a whole", async () => {
  await using d = await startTestDaemon({
    "foo.conf": "start on go\nexec sleep 60\n",
    "foo.override": "manual\nbleaugh!\n",
    "orphan.override": "manual\n",
  });
  await d.waitForOutput(`init:${d.jobPath("foo.override")}:2:1: Unknown stanza`);
  assert.equal(await d.ok("show-config"), "foo\n  start on go\n");
  await d.ok("emit", "go");
  assert.match(await d.ok("status", "foo"), /^foo start\/running, process \d+\n$/);
  await d.ok("stop", "foo");
});
