/**
 * Upstart's own jobs, unmodified (tests/vm/testdata/upstart/: rc, rcS, rc-sysinit,
 * control-alt-delete and Ubuntu's tty1), with Debian's real /etc/init.d/rc and rcS, under
 * daybreak as PID 1 of new namespaces over a private root (`_enter_root.sh`): what
 * tests/vm/upstart_jobs_boot_test.ts boots under QEMU, in seconds. Nothing in /etc/init emits
 * `filesystem` or `static-network-up` (daybreak's built-in providers do, see
 * docs/pid1.md#built-in-providers); rc-sysinit runs rcS and then `telinit 2` by its bare name;
 * /etc/rc2.d's script leaves a marker. Then `shutdown -h now` with no halt script in rc0.d:
 * daybreak's final phase ends the namespace (its parent sees SIGINT).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  fetchDebs,
  hostMissing,
  PACKAGES,
  ROOT,
  stageSystem,
  startSystem,
  waitFor,
} from "./_system.ts";

const JOBS = ["rc", "rcS", "rc-sysinit", "control-alt-delete", "tty1"] as const;

const debDir = await Deno.makeTempDir({ prefix: "daybreak-sysv-upstart-debs-" });
const skip = await hostMissing() ?? await fetchDebs(debDir, PACKAGES);

// Debian's rc exports the levels as $runlevel and $previous (rc-sysinit empties $RUNLEVEL).
const MARKER = `#!/bin/sh
case "$1" in
start) echo "start $runlevel $previous" >> /run/vm-markers ;;
stop) echo "marker: stop $runlevel $previous" ;;
esac
`;

Deno.test({
  name: skip === null
    ? "sysv: Upstart's own rc, rcS, rc-sysinit, control-alt-delete and tty1 reach runlevel 2 and shut down"
    : `sysv: Upstart's own jobs (SKIPPED: ${skip})`,
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "daybreak-sysv-upstart-" });
    await stageSystem(dir, `${debDir}/x`, "debian", "none");
    const files = `${dir}/files`;
    for (const job of JOBS) {
      await Deno.copyFile(
        `${ROOT}/tests/vm/testdata/upstart/${job}.conf`,
        `${files}/etc/init/${job}.conf`,
      );
    }
    // As sysv-rc installs it: Upstart's rc-sysinit runs it under `sh -e`.
    await Deno.symlink("/lib/init/rcS", `${files}/etc/init.d/rcS`);
    await Deno.writeTextFile(`${files}/etc/init.d/marker`, MARKER, { mode: 0o755 });
    for (const link of ["rcS.d/S01marker", "rc2.d/S01marker", "rc0.d/K01marker"]) {
      await Deno.mkdir(`${files}/etc/${link.split("/")[0]}`, { recursive: true });
      await Deno.symlink("../init.d/marker", `${files}/etc/${link}`);
    }
    const system = await startSystem(dir, { console: false });
    let console = "";
    try {
      await system.levels("N 2");
      const rcDone = await waitFor("rc to finish", async () => {
        const out = (await system.inside("status", "rc")).stdout;
        return out === "rc stop/waiting\n" ? out : null;
      });
      assert.equal(rcDone, "rc stop/waiting\n");
      assert.equal(
        (await system.inside("cat", "/run/vm-markers")).stdout,
        "start S N\nstart 2 N\n",
      );
      assert.equal(
        (await system.inside("status", "rc-sysinit")).stdout,
        "rc-sysinit stop/waiting\n",
      );
      const list = (await system.inside("initctl", "list")).stdout;
      for (const job of JOBS) {
        assert.match(list, new RegExp(`^${job} (stop/waiting|start/running, process \\d+)$`, "m"));
      }
      // daybreak's built-in providers of `filesystem`, `static-network-up` and `not-container` ran.
      assert.match(list, /^mountall stop\/waiting$/m, list);
      assert.match(list, /^network stop\/waiting$/m, list);
      assert.match(list, /^container-detect stop\/waiting$/m, list);
      // Ubuntu's tty1 waits for `not-container` too, which container-detect emits on a machine;
      // on a host that is itself a docker container (its /.dockerenv is seen through the bind
      // mounts) it emits `container CONTAINER=docker` instead, and the test emits not-container.
      // tty1 then starts: the namespace has no /dev/tty1, so each getty fails after a while and
      // the job is respawned, until the shutdown stops it.
      const docker = await Deno.stat("/.dockerenv").then(() => true, () => false);
      const containerType = (await system.inside("cat", "/run/container_type")).stdout;
      assert.equal(containerType, docker ? "docker\n" : "", "/run/container_type");
      if (docker) {
        assert.equal(
          (await system.inside("initctl", "emit", "--no-wait", "not-container")).code,
          0,
        );
      }
      await waitFor(
        "tty1",
        async () =>
          /^tty1 start\/running, process \d+\n$/.test(
            (await system.inside("status", "tty1")).stdout,
          ) || null,
      );
      const r = await system.inside("shutdown", "-h", "now");
      assert.deepEqual([r.code, r.stderr], [0, ""], r.stdout);
      const ending = await system.ended(60000);
      console = await system.stop();
      assert.ok(ending !== null, `still running 60 s after shutdown -h now\n${console}`);
      assert.equal(ending.signal, "SIGINT", `ended ${JSON.stringify(ending)}\n${console}`);
    } finally {
      if (console === "") console = await system.stop();
    }
    assert.match(console, /tty1 main process \(\d+\)/, console);
    // rc ran /etc/rc0.d (its K links with stop) before daybreak ended the system.
    assert.match(console, /^marker: stop 0 2$/m, console);
  },
});

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(debDir, { recursive: true });
  } catch {
    // Already removed.
  }
});
