import assert from "node:assert/strict";
import { ConfWatcher } from "./conf_source.ts";
import { MemoryConfFs } from "../../tests/fakes/memory_conf_fs.ts";

const tick = () => new Promise((r) => setTimeout(r, 10));

function watcherOn(fs: MemoryConfFs, dirs: string[]) {
  const applied: string[][] = [];
  const logs: string[] = [];
  const watcher = new ConfWatcher(
    fs,
    dirs.map((path) => ({ path, kind: "dir" as const })),
    {
      apply: (jobs) => applied.push(jobs.map((j) => j.name)),
      report: () => {},
      log: (p, m) => logs.push(`${p}: ${m}`),
    },
    { debounceMs: 0 },
  );
  return { watcher, applied, logs };
}

Deno.test("ConfWatcher reloads when a watched job file changes, and stops watching on close", async () => {
  const fs = new MemoryConfFs({ "/c/a.conf": "exec a" });
  const { watcher, applied } = watcherOn(fs, ["/c", "/none"]);
  await watcher.reload();
  await watcher.watch();
  assert.ok(!fs.watched.includes("/none"), "a missing directory is not watched itself");
  assert.deepEqual(fs.watched, ["/c", "/"], "its nearest existing ancestor is");
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

Deno.test("ConfWatcher watches a confdir missing at start-up from its ancestor and loads it once it appears", async () => {
  const fs = new MemoryConfFs({ "/home/u/other": "x" });
  const { watcher, applied, logs } = watcherOn(fs, ["/home/u/.init/jobs"]);
  await watcher.reload();
  await watcher.watch();
  assert.deepEqual(watcher.watching, ["/home/u"]);
  assert.ok(logs.some((l) => l.includes("/home/u/.init/jobs: configuration directory does not")));
  fs.change("/home/u/.init/jobs/a.conf", "exec a");
  await tick();
  await tick();
  assert.deepEqual(watcher.watching, ["/home/u/.init/jobs"]);
  assert.ok(
    logs.includes("message: /home/u/.init/jobs: configuration directory appeared"),
    logs.join("\n"),
  );
  assert.deepEqual(applied.at(-1), ["a"]);
  fs.change("/home/u/.init/jobs/b.conf", "exec b");
  await tick();
  assert.deepEqual(applied.at(-1), ["a", "b"], "the new directory's watch sees later changes");
  watcher.close();
});

Deno.test("ConfWatcher re-watches a confdir deleted and re-created, and loads its jobs", async () => {
  const fs = new MemoryConfFs({ "/c/a.conf": "exec a", "/keep": "x" });
  const { watcher, applied, logs } = watcherOn(fs, ["/c"]);
  await watcher.reload();
  await watcher.watch();
  fs.removeTree("/c");
  await tick();
  assert.deepEqual(applied.at(-1), [], "its jobs go with it");
  assert.deepEqual(watcher.watching, ["/"]);
  assert.ok(logs.some((l) => l.startsWith("warn: /c: configuration directory disappeared")));
  fs.change("/c/b.conf", "exec b");
  await tick();
  await tick();
  assert.deepEqual(applied.at(-1), ["b"]);
  fs.change("/c/d.conf", "exec d");
  await tick();
  assert.deepEqual(applied.at(-1), ["b", "d"], "the re-created directory is watched");
  assert.deepEqual(fs.watched, ["/c"]);
  watcher.close();
  assert.deepEqual(fs.watched, []);
});
