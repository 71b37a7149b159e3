/**
 * The docs/behaviour.md#upstart-fixes fixes are off by default (Upstart's behaviour) and turned on
 * by `init` flags; checked through the real daemon.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startTestDaemon, waitFor } from "../helpers/test_daemon.ts";

const JOB = 'script\n  echo "B=${B:-unset}" >> "$HOME/seen"\n  exec sleep 60\nend script\n';

async function restartSees(args: string[]): Promise<string[]> {
  await using d = await startTestDaemon({ "j.conf": JOB }, { args });
  const seen = join(d.home, "seen");
  await d.ok("start", "j", "B=1");
  await waitFor("first run", async () => (await readLines(seen)).length === 1);
  await d.ok("restart", "j");
  await waitFor("second run", async () => (await readLines(seen)).length === 2);
  await d.ok("stop", "j");
  return await readLines(seen);
}

async function readLines(path: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(path)).trimEnd().split("\n").filter((l) => l !== "");
  } catch {
    return [];
  }
}

Deno.test("restart drops the start environment by default, as Upstart does", async () => {
  assert.deepEqual(await restartSees([]), ["B=1", "B=unset"]);
});

Deno.test("--restart-keeps-env keeps it", async () => {
  assert.deepEqual(await restartSees(["--restart-keeps-env"]), ["B=1", "B=1"]);
});

Deno.test("--stop-interrupts-hooks lets stop end a long pre-start at once", async () => {
  const job = "kill timeout 1\npre-start exec sleep 60\nexec sleep 60\n";
  await using d = await startTestDaemon({ "h.conf": job }, { args: ["--stop-interrupts-hooks"] });
  const started = await d.initctl("start", "-n", "h");
  assert.equal(started.code, 0, started.stderr);
  await d.waitForStatus("h", /^h start\/pre-start, process \d+\n$/);
  const t0 = performance.now();
  assert.equal(await d.ok("stop", "h"), "h stop/waiting\n");
  assert.ok(performance.now() - t0 < 5000, "stop waited for the 60 s pre-start");
});
