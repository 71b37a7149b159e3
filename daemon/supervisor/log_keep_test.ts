/**
 * Output of ended processes kept for `notify-disk-writeable` is bounded in all, and what goes
 * is reported. `/sys` refuses new files even to root (EACCES), as a read-only log dir would.
 */
import assert from "node:assert/strict";
import { FdSpawner } from "./fd_spawner.ts";
import { Reaper } from "./reaper.ts";
import { spawnRequest } from "../../tests/fakes/spawn_request.ts";

Deno.test("logs kept for later are capped in all, the oldest dropped and reported", async () => {
  const messages: string[] = [];
  const spawner = new FdSpawner({
    reaper: new Reaper(),
    unflushedLogBytes: 20,
    log: (priority, message) => messages.push(`${priority}: ${message}`),
  });
  for (const instance of ["a", "b", "c"]) {
    const p = spawner.spawn(spawnRequest({
      job: "kept",
      instance,
      env: ["PATH=/usr/bin:/bin"],
      console: "log",
      logDir: "/sys",
      command: "/bin/echo 1234567",
    }));
    await p.exited;
  }
  // The pipes end with the processes; under load their last read may come a little later.
  for (const end = Date.now() + 15_000; messages.length === 0 && Date.now() < end;) {
    await new Promise((r) => setTimeout(r, 10));
  }
  // Three logs of 8 bytes each: the first goes to stay within 20 bytes.
  assert.deepEqual(messages, [
    "warn: kept (a): 8 bytes of output dropped: /sys/kept-a.log: Permission denied",
  ]);
  assert.equal(spawner.flushLogs(), 2, "b and c are still kept");
  assert.equal(messages.length, 1, "kept output is not reported as lost");
});
