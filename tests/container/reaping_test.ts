/**
 * Container mode reaps every orphan (see docs/container.md): as PID 1 of a PID namespace, and
 * as a child subreaper when it is not PID 1. When the main process ends, what is left gets
 * SIGTERM, then SIGKILL after the grace period.
 */
import assert from "node:assert/strict";
import { childrenOf, cmdline, isAlive } from "../helpers/procfs.ts";
import { descendantsOf, SETUPS, startInit, until, zombieChildren } from "./_harness.ts";

/** 100 double-forked `sleep 2`: each subshell exits at once, leaving its sleep orphaned. */
const ORPHANS = "i=0; while [ $i -lt 100 ]; do (sleep 2 &); i=$((i+1)); done; sleep 30";

for (const setup of SETUPS) {
  Deno.test(`[${setup}] 100 double-forked orphans are adopted and reaped`, async () => {
    await using init = startInit(setup, ["--container", "--", "sh", "-c", ORPHANS]);
    const pid = await init.initPid();
    const sleepers = () =>
      descendantsOf(pid).filter((p) => {
        const argv = cmdline(p);
        return argv[0] === "sleep" && argv[1] === "2";
      });
    // Adopted: every orphan becomes a child of init itself (not of the main shell).
    const adopted = new Set<number>();
    await until("100 adopted orphans", () => {
      const kids = new Set(childrenOf(pid));
      for (const p of sleepers()) if (kids.has(p)) adopted.add(p);
      return adopted.size >= 100 ? true : null;
    }, 20_000);
    // Reaped: once they have ended, no zombie is left behind.
    await until("the orphans to end", () => sleepers().length === 0 || null, 20_000);
    await until("no zombie", () => zombieChildren(pid).length === 0 || null, 5_000);
    Deno.kill(pid, "SIGTERM");
    const r = await init.result();
    assert.equal(r.code, 143, r.stderr);
  });

  Deno.test(`[${setup}] leftovers get SIGTERM, then SIGKILL after the grace period`, async () => {
    // The main process leaves a polite orphan and one that ignores SIGTERM, then exits 4.
    const script = "sleep 300 & echo $!; sh -c 'trap \"\" TERM; while :; do sleep 0.05; done' & " +
      "echo $!; sleep 0.3; exit 4";
    await using init = startInit(setup, [
      "--container",
      "--grace-period",
      "1",
      "--",
      "sh",
      "-c",
      script,
    ]);
    const t0 = performance.now();
    const r = await init.result();
    const ms = performance.now() - t0;
    assert.equal(r.code, 4, r.stderr);
    assert.ok(ms >= 1000, `the stubborn one had its grace period (${ms} ms)`);
    if (setup === "plain") {
      const left = r.stdout.trim().split("\n").map(Number);
      assert.equal(left.length, 2);
      for (const p of left) assert.ok(!isAlive(p), `${p} is gone`);
    }
  });
}

Deno.test("[plain] nothing of init's is left running after it exits", async () => {
  await using init = startInit("plain", [
    "--container",
    "--grace-period",
    "0.2",
    "--",
    "sh",
    "-c",
    "setsid sleep 301 & sleep 0.2",
  ]);
  const r = await init.result();
  assert.equal(r.code, 0, r.stderr);
  const left = (await new Deno.Command("pgrep", { args: ["-f", "^sleep 301$"] }).output()).code;
  assert.equal(left, 1, "the escaped sleep was killed");
});
