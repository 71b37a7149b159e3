import assert from "node:assert/strict";
import { listChildren, pidfdPids, readProcStat } from "../../sys/procfs.ts";
import { Reaper } from "./reaper.ts";
import { posixSpawnp } from "../../sys/posix_spawn.ts";
import { runScenario } from "./testdata/run_scenario.ts";

Deno.test("Reaper reaps orphans by pid while Deno still collects its own children", async () => {
  const r = await runScenario("reaper");
  assert.equal(r.subreaper, true);
  assert.equal(r.reparentedToUs, true, "the orphan was re-parented to the subreaper");
  assert.deepEqual(r.statuses, [{ code: 0 }, { code: 4 }], "spawned children keep their status");
  const [a, b] = r.orphans as number[];
  assert.deepEqual(r.orphanExits, [[a, { code: 0 }], [b, { signal: 9 }]]);
  assert.deepEqual(r.waitOrphanAfterTheFact, { code: 0 }, "a late waitOrphan() gets the exit");
  assert.deepEqual(r.own, Array.from({ length: 40 }, (_, i) => i % 7), "never ECHILD");
  assert.deepEqual(r.output, [3, "hi\n"]);
  assert.deepEqual(r.leftChildren, [], "no child, zombie or not, is left");
});

Deno.test("Reaper does not take Deno's own children, even unregistered ones", async () => {
  const reaper = new Reaper(); // not started: no subreaper flag on the test process
  const child = new Deno.Command("/bin/sh", { args: ["-c", "exit 9"] }).spawn();
  // Wait until the child is a zombie that Deno has not collected yet, then scan.
  for (
    const end = Date.now() + 15_000;
    (readProcStat(child.pid)?.state ?? "Z") !== "Z" && Date.now() < end;
  ) {
    await new Promise((r) => setTimeout(r, 1));
  }
  assert.ok(pidfdPids().has(child.pid) || readProcStat(child.pid) === null);
  assert.equal(reaper.isDenoChild(child.pid) || readProcStat(child.pid) === null, true);
  reaper.scan();
  assert.equal((await child.status).code, 9);
  assert.deepEqual(reaper.orphans(), []);
  assert.deepEqual(listChildren().filter((p) => readProcStat(p)?.state === "Z"), []);
});

Deno.test("Reaper's keep-alive timer: from start by default; with idleKeepAlive false, from the first watch", async () => {
  const eager = new Reaper();
  eager.start({ subreaper: false });
  assert.equal(eager.keepingAlive, true, "a container's init has nothing else keeping it alive");
  eager.stop();
  assert.equal(eager.keepingAlive, false);

  const lazy = new Reaper();
  lazy.start({ subreaper: false, idleKeepAlive: false });
  assert.equal(lazy.keepingAlive, false, "no timer before the first job");
  const pid = posixSpawnp({
    file: "/bin/sh",
    argv: ["sh", "-c", "exit 3"],
    env: [],
    sigmask: [],
    sigdefault: [],
  });
  const status = new Promise((resolve) => lazy.watch(pid, resolve));
  assert.equal(lazy.keepingAlive, true, "a watched process keeps the loop alive");
  assert.deepEqual(await status, { code: 3 });
  assert.equal(lazy.keepingAlive, true, "kept while started: a respawn does not reset it");
  lazy.stop();
  assert.equal(lazy.keepingAlive, false);
});
