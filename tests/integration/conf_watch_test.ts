/**
 * Configuration directories that come and go under the real daemon (see
 * docs/behaviour.md#confdir-watching): one missing at start-up is loaded once it appears, one
 * deleted and re-created is watched again, and each appearance and disappearance is logged.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startTestDaemon, type TestDaemon, waitFor } from "../helpers/test_daemon.ts";

async function jobs(d: TestDaemon): Promise<string[]> {
  const out = await d.ok("list");
  return out.split("\n").filter((l) => l !== "").map((l) => l.split(" ")[0]!).sort();
}

function waitForJobs(d: TestDaemon, want: string[]): Promise<string[]> {
  return waitFor(`jobs ${want.join(",")}`, async () => {
    const now = await jobs(d);
    return JSON.stringify(now) === JSON.stringify(want) ? now : null;
  }, { timeoutMs: 20_000 });
}

Deno.test("a confdir missing at start-up is watched for and loaded once it appears", async () => {
  const base = await Deno.makeTempDir({ prefix: "daybreak-late-" });
  const late = join(base, "later", "jobs");
  try {
    await using d = await startTestDaemon({ "a.conf": "exec sleep 60\n" }, {
      args: ["--append-confdir", late],
    });
    assert.deepEqual(await jobs(d), ["a"]);
    await Deno.mkdir(join(base, "later"));
    await Deno.mkdir(late);
    await Deno.writeTextFile(join(late, "b.conf"), "exec sleep 60\n");
    await waitForJobs(d, ["a", "b"]);
    await d.waitForOutput(`${late}: configuration directory appeared`);
    await Deno.writeTextFile(join(late, "c.conf"), "exec sleep 60\n");
    await waitForJobs(d, ["a", "b", "c"]);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("a confdir deleted and re-created is watched again and its jobs load", async () => {
  const base = await Deno.makeTempDir({ prefix: "daybreak-recreate-" });
  const dir = join(base, "jobs");
  await Deno.mkdir(dir);
  await Deno.writeTextFile(join(dir, "b.conf"), "exec sleep 60\n");
  try {
    await using d = await startTestDaemon({ "a.conf": "exec sleep 60\n" }, {
      args: ["--append-confdir", dir],
    });
    assert.deepEqual(await jobs(d), ["a", "b"]);
    for (let round = 0; round < 2; round++) {
      await Deno.remove(dir, { recursive: true });
      await waitForJobs(d, ["a"]);
      await d.waitForOutput(`${dir}: configuration directory disappeared`);
      await Deno.mkdir(dir);
      await Deno.writeTextFile(join(dir, "c.conf"), "exec sleep 60\n");
      await waitForJobs(d, ["a", "c"]);
      // A change after the re-creation proves the new directory itself is watched.
      await Deno.writeTextFile(join(dir, "d.conf"), "exec sleep 60\n");
      await waitForJobs(d, ["a", "c", "d"]);
      await Deno.remove(join(dir, "c.conf"));
      await Deno.remove(join(dir, "d.conf"));
      await waitForJobs(d, ["a"]);
    }
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("a confdir deleted and re-created at once, or renamed away and back, stays watched", async () => {
  const base = await Deno.makeTempDir({ prefix: "daybreak-flip-" });
  const dir = join(base, "jobs");
  await Deno.mkdir(dir);
  try {
    await using d = await startTestDaemon({}, { args: ["--append-confdir", dir] });
    for (let round = 0; round < 3; round++) {
      // Gone and back before the daemon can look: only the dead watch tells it.
      await Deno.remove(dir, { recursive: true });
      await Deno.mkdir(dir);
      await new Promise((r) => setTimeout(r, 300));
      await Deno.writeTextFile(join(dir, `r${round}.conf`), "exec sleep 60\n");
      await waitForJobs(d, [`r${round}`]);
      await Deno.rename(dir, `${dir}.away`);
      await Deno.rename(`${dir}.away`, dir);
      await new Promise((r) => setTimeout(r, 300));
      await Deno.remove(join(dir, `r${round}.conf`));
      await waitForJobs(d, []);
    }
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
