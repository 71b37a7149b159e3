import assert from "node:assert/strict";
import { MemoryConfFs as MemoryFs } from "../../tests/fakes/memory_conf_fs.ts";
import { loadConfiguration } from "./conf_loader.ts";
import { configSources } from "./conf_sources.ts";

const dirs = (...d: string[]) => d.map((path) => ({ path, kind: "dir" as const }));

Deno.test("loadConfiguration() loads jobs from sub-directories with slash names", async () => {
  const fs = new MemoryFs({
    "/a/ssh.conf": "exec /usr/sbin/sshd -D\n",
    "/a/net/apache.conf": "task\n",
    "/a/net/.hidden/x.conf": "task\n",
    "/a/.foo.conf": "task\n",
    "/a/notes.txt": "garbage",
  });
  const { jobs, problems } = await loadConfiguration(fs, dirs("/a"));
  assert.deepEqual([...jobs.keys()].sort(), [".foo", "net/apache", "ssh"]);
  assert.equal(jobs.get("net/apache")?.task, true);
  assert.equal(jobs.get("ssh")?.file, "/a/ssh.conf");
  assert.deepEqual(problems, []);
});

Deno.test("loadConfiguration() keeps loading when one file is broken and reports FILE:LINE:COL", async () => {
  const fs = new MemoryFs({
    "/a/good.conf": "exec true\n",
    "/a/bad.conf": "description ok\nbleurgh\n",
  });
  const { jobs, problems } = await loadConfiguration(fs, dirs("/a"));
  assert.deepEqual([...jobs.keys()], ["good"]);
  assert.equal(problems.length, 1);
  assert.equal(problems[0]?.message, "/a/bad.conf:2:1: Unknown stanza");
  assert.equal(problems[0]?.job, "bad");
});

Deno.test("loadConfiguration() lets the earliest source win, falling back when it is broken", async () => {
  const fs = new MemoryFs({
    "/first/x.conf": "description first\n",
    "/second/x.conf": "description second\n",
    "/first/y.conf": "nonsense\n",
    "/second/y.conf": "description second-y\n",
  });
  const { jobs, problems } = await loadConfiguration(fs, dirs("/first", "/second"));
  assert.equal(jobs.get("x")?.description, "first");
  assert.equal(jobs.get("y")?.description, "second-y");
  assert.equal(problems.length, 1);
});

Deno.test("loadConfiguration() applies an override from the same or a higher-priority source only", async () => {
  const fs = new MemoryFs({
    "/high/a.override": "manual\n",
    "/low/a.conf": "start on startup\n",
    "/high/b.conf": "start on startup\n",
    "/low/b.override": "manual\n",
    "/low/orphan.override": "manual\n",
  });
  const { jobs } = await loadConfiguration(fs, dirs("/high", "/low"));
  assert.equal(jobs.get("a")?.startOn, null);
  assert.equal(jobs.get("a")?.overrideFile, "/high/a.override");
  assert.notEqual(jobs.get("b")?.startOn, null);
  assert.equal(jobs.get("b")?.overrideFile, null);
  assert.equal(jobs.has("orphan"), false);
});

Deno.test("loadConfiguration() treats a broken override as absent and reports it", async () => {
  const fs = new MemoryFs({
    "/a/foo.conf": 'start on started\nauthor "wibble"\n',
    "/a/foo.override": "manual\nbleaugh!\n",
  });
  const { jobs, problems } = await loadConfiguration(fs, dirs("/a"));
  assert.notEqual(jobs.get("foo")?.startOn, null);
  assert.equal(jobs.get("foo")?.overrideFile, null);
  assert.equal(problems[0]?.message, "/a/foo.override:2:1: Unknown stanza");
});

Deno.test("loadConfiguration() skips missing sources silently and reports unreadable files", async () => {
  const fs = new MemoryFs({ "/a/x.conf": "task\n", "/a/y.conf": "task\n" }, new Set(["/a/y.conf"]));
  const { jobs, problems } = await loadConfiguration(fs, dirs("/nonexistent", "/a"));
  assert.deepEqual([...jobs.keys()], ["x"]);
  assert.equal(
    problems[0]?.message,
    "/a/y.conf: Error while loading configuration file: Permission denied",
  );
});

Deno.test("loadConfiguration() accepts only comments in /etc/init.conf", async () => {
  const ok = new MemoryFs({
    "/etc/init.conf": "# nothing\n\n  # indented\n",
    "/etc/init/j.conf": "",
  });
  const sources = configSources({ user: false, env: {} });
  assert.deepEqual((await loadConfiguration(ok, sources)).problems, []);
  const bad = new MemoryFs({ "/etc/init.conf": "# c\n  env X=1\n" });
  const { problems } = await loadConfiguration(bad, sources);
  assert.equal(problems[0]?.message, "/etc/init.conf:2:3: Unknown stanza");
});
