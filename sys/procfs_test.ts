import assert from "node:assert/strict";
import {
  firstChild,
  listChildren,
  listDescendants,
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
    for (const end = Date.now() + 15_000; readCmdline(pid)?.[1] !== "30" && Date.now() < end;) {
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

Deno.test("listDescendants() finds a grandchild after its parent", async () => {
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", "/bin/sleep 30 & echo $!; wait"],
    stdin: "null",
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  let grandchild = 0;
  try {
    const { value } = await reader.read();
    grandchild = Number(new TextDecoder().decode(value).trim());
    const all = listDescendants();
    assert.ok(all.indexOf(child.pid) >= 0 && all.indexOf(child.pid) < all.indexOf(grandchild));
    assert.deepEqual(listDescendants(child.pid), [grandchild]);
  } finally {
    reader.releaseLock();
    await child.stdout.cancel();
    if (grandchild > 0) Deno.kill(grandchild, "SIGKILL");
    child.kill("SIGKILL");
    await child.status;
  }
});

Deno.test("parseMountInfo() reads mount points, types and sources, decoding escapes", async () => {
  const { parseMountInfo, readMountInfo } = await import("./procfs.ts");
  const text = [
    "21 1 0:20 / / rw,relatime shared:1 - ext4 /dev/vda1 rw",
    "22 21 0:21 / /my\\040disk rw,nosuid master:2 - tmpfs none rw,size=10k",
    "23 21 0:5 / /dev rw - devtmpfs udev rw",
    "",
  ].join("\n");
  assert.deepEqual(parseMountInfo(text).map((m) => [m.id, m.parent, m.mountPoint, m.fsType]), [
    [21, 1, "/", "ext4"],
    [22, 21, "/my disk", "tmpfs"],
    [23, 21, "/dev", "devtmpfs"],
  ]);
  assert.equal(parseMountInfo(text)[0]!.source, "/dev/vda1");
  assert.ok(readMountInfo().some((m) => m.mountPoint === "/proc" && m.fsType === "proc"));
});
