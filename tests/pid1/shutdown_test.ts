/**
 * Each shutdown path of a PID-1 daybreak in a PID namespace, seen from outside: reboot(2) there
 * ends the namespace, and its parent sees the init killed by SIGINT (power-off, halt) or SIGHUP
 * (restart). unshare passes that on as its own death by the same signal.
 */
import assert from "node:assert/strict";
import { skipReason, startPid1 } from "./namespace.ts";

const skip = skipReason();

const SERVICE = "start on startup\nstop on runlevel [06]\nexec sleep 1000\n";

for (
  const [action, signal] of [
    ["poweroff", "SIGINT"],
    ["halt", "SIGINT"],
    ["reboot", "SIGHUP"],
  ] as const
) {
  Deno.test({
    name: `pid1: daemon.shutdown ${action} ends the namespace with ${signal}`,
    ignore: skip !== null,
    async fn() {
      const ns = await startPid1({ svc: SERVICE });
      try {
        const r = await ns.rpc([
          JSON.stringify({ jsonrpc: "2.0", id: 1, method: "daemon.shutdown", params: { action } }),
        ]);
        assert.match(r.stdout, /"result":\{\}/, r.stdout + r.stderr);
        const status = await ns.ended;
        assert.equal(status.signal, signal, await ns.output());
        assert.match(await ns.output(), new RegExp(`Final phase of the shutdown \\(${action}\\)`));
      } finally {
        await ns.stop();
      }
    },
  });
}

Deno.test({
  name: "pid1: runlevel 0 with no rc job powers off (SIGINT); runlevel 6 restarts (SIGHUP)",
  ignore: skip !== null,
  async fn() {
    for (const [level, signal] of [["0", "SIGINT"], ["6", "SIGHUP"]] as const) {
      const ns = await startPid1({ svc: SERVICE });
      try {
        const r = await ns.initctl(
          "emit",
          "--no-wait",
          "runlevel",
          `RUNLEVEL=${level}`,
          "PREVLEVEL=2",
        );
        assert.equal(r.code, 0, r.stderr);
        const status = await ns.ended;
        assert.equal(status.signal, signal, await ns.output());
      } finally {
        await ns.stop();
      }
    }
  },
});

Deno.test({
  name: "pid1: the final phase waits for the runlevel's rc task, then halts (INIT_HALT=HALT)",
  ignore: skip !== null,
  async fn() {
    const ns = await startPid1({
      svc: SERVICE,
      rc: "start on runlevel [0123456]\nstop on runlevel [!$RUNLEVEL]\nexport RUNLEVEL\ntask\n" +
        "exec sleep 1\n",
    });
    try {
      const started = Date.now();
      const r = await ns.initctl(
        "emit",
        "--no-wait",
        "runlevel",
        "RUNLEVEL=0",
        "PREVLEVEL=2",
        "INIT_HALT=HALT",
      );
      assert.equal(r.code, 0, r.stderr);
      const status = await ns.ended;
      assert.equal(status.signal, "SIGINT", await ns.output());
      assert.ok(Date.now() - started >= 1000, "rc ran to its end first");
      assert.match(await ns.output(), /Final phase of the shutdown \(halt\)/);
    } finally {
      await ns.stop();
    }
  },
});

Deno.test({
  name: "pid1: the early boot mounts a missing /run (tmpfs) before the socket goes there",
  ignore: skip !== null,
  async fn() {
    const ns = await startPid1({ svc: SERVICE }, [], { bareRun: true });
    try {
      const r = await ns.inside("findmnt", "-n", "-o", "FSTYPE,TARGET", "/run");
      assert.equal(r.stdout.trim(), "tmpfs  /run");
      const setsid = await ns.inside("sh", "-c", "cut -d' ' -f6 /proc/1/stat");
      assert.equal(setsid.stdout.trim(), "1", "init leads its own session");
    } finally {
      await ns.stop();
    }
  },
});
