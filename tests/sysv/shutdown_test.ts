/**
 * The shutdown paths through real Debian 12 scripts: daybreak as PID 1 of new
 * mount/pid/net/uts/ipc namespaces over a private root (`_enter_root.sh`),
 * booted to runlevel 2 with Debian's cron, then `telinit 0`, `shutdown -h now`,
 * `shutdown -r now` or `telinit 6` run through `nsenter`. The rc job runs
 * rc0.d/rc6.d as insserv links initscripts' scripts (sendsigs, umountnfs.sh,
 * umountfs, umountroot, urandom, brightness, then halt or reboot, which run
 * `halt -d -f -i -p -h` and `reboot -d -f -i`); reboot(2) in a PID namespace
 * ends it, and the parent sees its init killed by SIGINT (halt, power-off) or
 * SIGHUP (restart) — within 30 s. The packages are fetched with `apt-get
 * download` at test time (skipped, saying why, when apt cannot).
 *
 * A native job with no `stop on` runs through the shutdown: sendsigs spares
 * the pids `initctl list` shows, so it must never be killed by sendsigs'
 * SIGTERM (the daemon would log "keeper main process (N) killed by TERM
 * signal"); that needs `initctl list` to answer during the shutdown.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  fetchDebs,
  hostMissing,
  PACKAGES,
  type RcKind,
  stageSystem,
  startSystem,
  waitFor,
} from "./_system.ts";

const debDir = await Deno.makeTempDir({ prefix: "daybreak-sysv-shutdown-debs-" });
const skip = await hostMissing() ?? await fetchDebs(debDir, PACKAGES);

interface Path {
  readonly argv: readonly string[];
  readonly signal: Deno.Signal;
  readonly rc: RcKind;
  /** The last script's own words. */
  readonly says: RegExp;
}

const PATHS: readonly Path[] = [
  { argv: ["telinit", "0"], signal: "SIGINT", rc: "debian", says: /Will now halt/ },
  { argv: ["shutdown", "-h", "now"], signal: "SIGINT", rc: "debian", says: /Will now halt/ },
  { argv: ["shutdown", "-r", "now"], signal: "SIGHUP", rc: "daybreak", says: /Will now restart/ },
  { argv: ["telinit", "6"], signal: "SIGHUP", rc: "debian", says: /Will now restart/ },
];

for (const path of PATHS) {
  const what = `${path.argv.join(" ")} (${path.rc === "debian" ? "Debian's" : "daybreak's"} rc)`;
  Deno.test({
    name: skip === null
      ? `sysv shutdown: ${what} ends the namespace with ${path.signal} through Debian's scripts`
      : `sysv shutdown: ${what} (SKIPPED: ${skip})`,
    ignore: skip !== null,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "daybreak-sysv-down-" });
      const links = await stageSystem(dir, `${debDir}/x`, path.rc);
      assert.ok(links.includes(path.signal === "SIGINT" ? "rc0.d/K05halt" : "rc6.d/K05reboot"));
      await Deno.writeTextFile(
        `${dir}/files/etc/init/keeper.conf`,
        "start on runlevel [2345]\nexec sleep 1000\n",
      );
      const system = await startSystem(dir, { console: false });
      let console = "";
      let ending: Awaited<ReturnType<typeof system.ended>> = null;
      try {
        await system.levels("N 2");
        await waitFor(
          "cron",
          async () => (await system.inside("service", "cron", "status")).code === 0 || null,
        );
        await waitFor(
          "the keeper job",
          async () =>
            /^keeper start\/running, process \d+$/m.test(
              (await system.inside("initctl", "list")).stdout,
            ) || null,
        );
        const r = await system.inside(...path.argv);
        assert.deepEqual([r.code, r.stderr], [0, ""], r.stdout);
        const started = Date.now();
        ending = await system.ended(30000);
        const took = (Date.now() - started) / 1000;
        console = await system.stop();
        assert.ok(ending !== null, `still running 30 s after ${what}\n${console}`);
        assert.equal(ending.signal, path.signal, `ended ${JSON.stringify(ending)}\n${console}`);
        assert.ok(took < 30, `took ${took} s`);
      } finally {
        if (console === "") console = await system.stop();
      }
      // Debian's scripts ran in order, the last one ended the namespace.
      assert.match(console, /Asking all remaining processes to terminate/, console);
      assert.match(console, path.says, console);
      assert.ok(
        console.indexOf("Asking all remaining") < console.search(path.says),
        console,
      );
      // sendsigs spared the native job: `initctl list` answered during the shutdown.
      assert.doesNotMatch(console, /keeper main process \(\d+\) killed by TERM signal/, console);
    },
  });
}

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(debDir, { recursive: true });
  } catch {
    // Already removed.
  }
});
