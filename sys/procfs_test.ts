import assert from "node:assert/strict";
import {
  firstChild,
  listChildren,
  listPids,
  parseProcStat,
  readCmdline,
  readEnviron,
  readProcStat,
  readStatus,
} from "./procfs.ts";

Deno.test("parseProcStat() copes with spaces and parentheses in the command name", () => {
  const text = "42 (a) b (c)) S 1 42 42 0 -1 4194560 108 0 1 0 0 0 0 0 20 5 1 0 83568 2990080";
  const st = parseProcStat(text);
  assert.deepEqual(st, {
    pid: 42,
    comm: "a) b (c)",
    state: "S",
    ppid: 1,
    pgrp: 42,
    session: 42,
    nice: 5,
    startTime: 83568,
  });
});

Deno.test("procfs readers see a live child and return null once it is gone", async () => {
  const child = new Deno.Command("/bin/sleep", {
    args: ["30"],
    env: { DAYBREAK_PROCFS_TEST: "1" },
    stdin: "null",
    stdout: "null",
  }).spawn();
  const pid = child.pid;
  try {
    assert.ok(listChildren().includes(pid));
    assert.ok(listPids().includes(pid));
    assert.equal(firstChild(pid), null, "sleep has no child");
    assert.equal(readProcStat(pid)?.ppid, Deno.pid);
    assert.ok(readEnviron(pid)?.includes("DAYBREAK_PROCFS_TEST=1"));
    assert.match(readStatus(pid) ?? "", /^Pid:\s+\d+$/m);
    // The exec may not have happened yet: the command line is Deno's until then.
    for (let i = 0; i < 200 && readCmdline(pid)?.[1] !== "30"; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.deepEqual(readCmdline(pid), ["/bin/sleep", "30"]);
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
  assert.equal(readProcStat(pid), null);
  assert.equal(readEnviron(pid), null);
  assert.equal(readCmdline(pid), null);
  assert.deepEqual(listChildren(pid), []);
});
