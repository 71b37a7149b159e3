import assert from "node:assert/strict";
import {
  childrenOf,
  descendantsOf,
  isServiceArgv,
  managerTree,
  parentOf,
  parseCmdline,
  parsePssKiB,
  parseStat,
  type ProcInfo,
  ServiceFinder,
} from "./proc.ts";

Deno.test("parseStat() reads pid, ppid, state and a command name with spaces and parens", () => {
  const line = "4242 (PM2 v7.0.4: (God)) S 1 4242 4242 0 -1 4194560 944 0 0 0";
  assert.deepEqual(parseStat(line), { pid: 4242, ppid: 1, state: "S", comm: "PM2 v7.0.4: (God)" });
});

Deno.test("parseStat() rejects a line without a command name", () => {
  assert.equal(parseStat("garbage"), null);
});

function table(rows: [number, number, string?, string?][]): Map<number, ProcInfo> {
  return new Map(
    rows.map(([pid, ppid, comm = "x", state = "S"]) => [pid, { pid, ppid, comm, state }]),
  );
}

Deno.test("descendantsOf() walks every level below the root, not the root itself", () => {
  const t = table([[1, 0], [10, 1], [11, 10], [12, 10], [13, 11], [20, 2]]);
  assert.deepEqual(descendantsOf(t, 10), [11, 12, 13]);
  assert.deepEqual(descendantsOf(t, 13), []);
});

Deno.test("managerTree() keeps the root and its helpers, drops services and zombies", () => {
  const t = table([
    [10, 1, "runsvdir"],
    [11, 10, "runsv"],
    [12, 11, "sleep"],
    [13, 10, "runsv", "Z"],
  ]);
  assert.deepEqual(managerTree(10, t), [10, 11]);
});

Deno.test("parseCmdline() splits on NUL and drops the trailing empty word", () => {
  assert.deepEqual(parseCmdline("sleep\u0000100000\u0000"), ["sleep", "100000"]);
});

Deno.test("isServiceArgv() accepts sleep 100000 by name or path only", () => {
  assert.equal(isServiceArgv(["sleep", "100000"]), true);
  assert.equal(isServiceArgv(["/usr/bin/sleep", "100000"]), true);
  assert.equal(isServiceArgv(["sleep", "5"]), false);
  assert.equal(isServiceArgv(["sh", "-c", "sleep 100000"]), false);
});

Deno.test("parsePssKiB() reads the Pss line of smaps_rollup", () => {
  const text = "55d0-7ffd ---p 00000000 00:00 0   [rollup]\nRss:   4096 kB\nPss:   1234 kB\n" +
    "Pss_Anon:   800 kB\n";
  assert.equal(parsePssKiB(text), 1234);
  assert.equal(parsePssKiB("Rss: 1 kB\n"), null);
});

Deno.test("ServiceFinder finds services below the root, directly or under a supervisor", async () => {
  const direct = new Deno.Command("sleep", { args: ["100000"] }).spawn();
  const wrapped = new Deno.Command("sh", { args: ["-c", "sleep 100000; exit 0"] }).spawn();
  const other = new Deno.Command("sleep", { args: ["99999"] }).spawn();
  try {
    // Other test modules may run in this process too: assert on our pids only.
    const finder = new ServiceFinder(Deno.pid);
    let found = new Set<number>();
    let inner: number | undefined;
    for (let i = 0; i < 200; i++) {
      await new Promise((r) => setTimeout(r, 10));
      found = finder.services();
      inner = childrenOf(wrapped.pid).find((p) => found.has(p));
      if (found.has(direct.pid) && inner !== undefined) break;
    }
    assert.ok(found.has(direct.pid));
    assert.ok(inner !== undefined);
    assert.ok(!found.has(other.pid));
    assert.ok(!found.has(wrapped.pid));
    assert.equal(parentOf(inner), wrapped.pid);
    assert.deepEqual(finder.servicesUnder(wrapped.pid), new Set([inner]));
    direct.kill("SIGKILL");
    await direct.status;
    const after = finder.services();
    assert.ok(!after.has(direct.pid));
    assert.ok(after.has(inner));
  } finally {
    // The sleep under sh would outlive a killed sh: kill it first, by pid.
    for (const pid of childrenOf(wrapped.pid)) Deno.kill(pid, "SIGKILL");
    for (const c of [direct, wrapped, other]) {
      try {
        c.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await c.status;
    }
  }
});
