import assert from "node:assert/strict";
import { ConfWatcher } from "./conf_source.ts";
import { MemoryConfFs } from "../../tests/fakes/memory_conf_fs.ts";

Deno.test("ConfWatcher reloads when a watched job file changes, and stops watching on close", async () => {
  const fs = new MemoryConfFs({ "/c/a.conf": "exec a" });
  const applied: string[][] = [];
  const watcher = new ConfWatcher(
    fs,
    [{ path: "/c", kind: "dir" }, { path: "/none", kind: "dir" }],
    {
      apply: (jobs) => applied.push(jobs.map((j) => j.name)),
      report: () => {},
      log: () => {},
    },
    { debounceMs: 0 },
  );
  await watcher.reload();
  watcher.watch();
  assert.deepEqual(fs.watched, ["/c"], "a missing directory is not watched");
  const tick = () => new Promise((r) => setTimeout(r, 10));
  fs.change("/c/notes.txt", "x");
  await tick();
  assert.deepEqual(applied, [["a"]], "a file that is no job file changes nothing");
  fs.change("/c/b.conf", "exec b");
  await tick();
  await watcher.reload();
  assert.deepEqual(applied, [["a"], ["a", "b"], ["a", "b"]]);
  watcher.close();
  assert.deepEqual(fs.watched, []);
});
