/**
 * The SysV contract a system check holds daybreak to (docs/sysv.md#the-contract): `bin/init` as
 * PID 1 of new mount/pid/net/uts/ipc namespaces, started with `HOME=/ TERM=linux` and nothing
 * else, its stdio a pty that is also /dev/console; `/usr/sbin/NAME` symlinks to `bin/NAME` for
 * every tool; the tools run through `nsenter` with `env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin
 * HOME=/root TERM=dumb LANG=C` as root (no UPSTART_SESSION, no XDG_RUNTIME_DIR); an empty
 * /run/utmp and /var/log/wtmp; the rc-sysinit, rc, rcS and control-alt-delete jobs of etc/init/
 * and Debian 12's real /etc/init.d/rc (sysv-rc, fetched at test time). Then: runlevel 2 within
 * 30 s of the boot events, each runlevel change within 30 s, init gone within 30 s of
 * `shutdown -h now`.
 *
 * Two systems: one with initscripts' shutdown scripts in rc0.d (Debian's `halt` powers off with
 * reboot(2)), one with no script at all, where only daybreak's own final phase can end the
 * system after runlevel 0 (docs/pid1.md, the PID-1 work).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  fetchDebs,
  hostMissing,
  PACKAGES,
  stageSystem,
  startSystem,
  type System,
} from "./_system.ts";

const debDir = await Deno.makeTempDir({ prefix: "daybreak-sysv-contract-debs-" });
const skip = await hostMissing() ?? await fetchDebs(debDir, PACKAGES);

const TOOLS = [
  "init",
  "telinit",
  "runlevel",
  "shutdown",
  "halt",
  "reboot",
  "poweroff",
  "service",
  "initctl",
  "start",
  "stop",
  "restart",
  "reload",
  "status",
];

/** The contract's checks from boot to `shutdown -h now`; returns the console. */
async function contract(system: System): Promise<string> {
  let console = "";
  try {
    // The environment is the contract's: init's, and the tools'.
    const initEnv = await system.inside("cat", "/proc/1/environ");
    const pairs = initEnv.stdout.split("\0").filter((s) => s !== "");
    assert.ok(pairs.includes("HOME=/") && pairs.includes("TERM=linux"), initEnv.stdout);
    const toolEnv = (await system.inside("env")).stdout;
    assert.doesNotMatch(toolEnv, /UPSTART_SESSION|XDG_RUNTIME_DIR/);
    assert.equal((await system.inside("id", "-u")).stdout, "0\n");
    for (const tool of TOOLS) {
      const r = await system.inside("readlink", `/usr/sbin/${tool}`);
      assert.match(r.stdout, new RegExp(`/bin/${tool}\\n$`), tool);
    }
    // init's stdio and /dev/console are the same pty.
    const fd0 = await system.inside("readlink", "/proc/1/fd/0");
    assert.match(fd0.stdout, /^\/dev\/(console|pts\/\d+)\n$/, fd0.stdout);
    assert.equal((await system.inside("test", "-c", "/dev/console")).code, 0);

    // From an empty utmp to runlevel 2 on its own: PID 1 provides the boot events Upstart's
    // rc-sysinit waits for (docs/pid1.md#built-in-providers).
    await system.levels("N 2");
    // Each change, through telinit, within 30 s.
    for (const [level, want] of [["3", "2 3"], ["1", "3 1"], ["2", "1 2"]] as const) {
      const r = await system.inside("telinit", level);
      assert.deepEqual(r, { code: 0, stdout: "", stderr: "" });
      await system.levels(want);
    }
    const r = await system.inside("shutdown", "-h", "now");
    assert.deepEqual([r.code, r.stderr], [0, ""]);
    const ending = await system.ended(30000);
    const level = ending === null ? (await system.inside("runlevel")).stdout.trim() : "";
    console = await system.stop();
    assert.ok(
      ending !== null,
      `init still there 30 s after shutdown -h now (runlevel: ${level})\n${console}`,
    );
    // Power-off (no INIT_HALT: /etc/default/halt decides, poweroff), seen as SIGINT.
    assert.equal(ending.signal, "SIGINT", `${JSON.stringify(ending)}\n${console}`);
    return console;
  } finally {
    if (console === "") await system.stop();
  }
}

Deno.test({
  name: skip === null
    ? "sysv contract: PID 1 on a pty console, tools through nsenter, runlevels, shutdown -h now through Debian's halt"
    : `sysv contract (SKIPPED: ${skip})`,
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "daybreak-sysv-contract-" });
    await stageSystem(dir, `${debDir}/x`, "debian", "shutdown");
    const console = await contract(await startSystem(dir, { console: true }));
    assert.match(console, /Will now halt/, console);
  },
});

Deno.test({
  name: skip === null
    ? "sysv contract: with no script in rc0.d, daybreak itself ends the system after shutdown -h now"
    : `sysv contract, no rc0.d scripts (SKIPPED: ${skip})`,
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "daybreak-sysv-contract-" });
    await stageSystem(dir, `${debDir}/x`, "debian", "none");
    await contract(await startSystem(dir, { console: true }));
  },
});

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(debDir, { recursive: true });
  } catch {
    // Already removed.
  }
});
