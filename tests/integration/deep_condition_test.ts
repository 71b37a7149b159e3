/**
 * Issue 14, item 7: one job whose `start on` has 20,000 alternatives made `show-config` and
 * `check-config` fail with "Internal error" for every job, and at 8,000 `show-config` killed the
 * daemon. Now conditions travel as text and flat leaves, and every walk is iterative.
 */
import assert from "node:assert/strict";
import { startTestDaemon } from "../helpers/test_daemon.ts";

const alternatives = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(" or ");

Deno.test("show-config and check-config answer for every job beside a 20,000-deep one", async (t) => {
  await using d = await startTestDaemon({
    "deep.conf": `start on ${alternatives(20_000, "e")}\nexec true\n`,
    "mid.conf": `start on ${alternatives(8_000, "m")}\nexec true\n`,
    "plain.conf": "emits e7\nstart on e7\nexec sleep 60\n",
  });

  await t.step("show-config prints every job", async () => {
    const out = await d.ok("show-config");
    const lines = out.split("\n");
    assert.equal(lines[0], "deep");
    assert.ok(lines[1]!.startsWith(`  start on ${"(".repeat(19_999)}e0 or e1) or e2)`));
    assert.ok(lines[1]!.endsWith(" or e19999)"));
    assert.equal(lines[2], "mid");
    assert.deepEqual(lines.slice(4), ["plain", "  emits e7", "  start on e7", ""]);
    const enumerated = (await d.ok("show-config", "-e", "deep")).split("\n");
    assert.equal(enumerated.length, 1 + 20_000 + 1);
    assert.equal(enumerated[20_000], "  start on e19999 (job:, env:)");
  });

  await t.step("show-config --json keeps the reply shallow", async () => {
    const shown = JSON.parse(await d.ok("show-config", "--json"));
    assert.deepEqual(shown.jobs.map((j: { name: string }) => j.name), ["deep", "mid", "plain"]);
    assert.equal(shown.jobs[0].startOn, null);
    assert.equal(shown.jobs[1].startOn, null);
    assert.ok(shown.jobs[0].fields.start_on.endsWith(" or e19999)"));
    assert.deepEqual(shown.jobs[2].startOn, { kind: "match", event: "e7", args: [] });
  });

  await t.step("check-config reports the deep jobs' unknown events", async () => {
    const r = await d.initctl("check-config");
    assert.equal(r.code, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /Internal error/);
    const plainOnly = await d.initctl("check-config", "plain");
    assert.deepEqual(plainOnly, { code: 0, stdout: "", stderr: "" });
    const warned = await d.initctl("check-config", "-w", "deep");
    assert.equal(warned.stdout.split("\n").length, 1 + 19_999 + 1);
  });

  await t.step("the daemon is alive and still runs jobs", async () => {
    assert.equal(await d.ok("reload-configuration"), "");
    assert.match(await d.ok("start", "plain"), /^plain start\/running, process \d+\n$/);
    assert.equal(await d.ok("stop", "plain"), "plain stop/waiting\n");
    assert.equal(d.exitStatus, null);
  });
});
