import assert from "node:assert/strict";
import { type RcFs, rcPlan } from "./rc_dirs.ts";

/**
 * A fake file system: directories of link names; a name ending in `!` is a
 * dangling link (listed, but not a file).
 */
function fakeFs(dirs: Record<string, string[]>): RcFs {
  const files = new Set<string>();
  const listing = new Map<string, string[]>();
  for (const [dir, names] of Object.entries(dirs)) {
    listing.set(dir, names.map((n) => n.replace(/!$/, "")));
    for (const n of names) if (!n.endsWith("!")) files.add(`${dir}/${n}`);
  }
  return {
    list: (dir) => listing.get(dir) ?? null,
    isFile: (path) => files.has(path),
  };
}

const plan = (fs: RcFs, level: string, prev: string) =>
  rcPlan(fs, level, prev).map((s) => `${s.path.replace(/^\/etc\//, "")} ${s.action}`);

Deno.test("rc: at boot (no previous level) only S links run, with start, in lexical order", () => {
  const fs = fakeFs({
    "/etc/rc2.d": ["S03cron", "K01old", "S01rsyslog", "README", "S02atd", "S10x.sh"],
  });
  assert.deepEqual(plan(fs, "2", "N"), [
    "rc2.d/S01rsyslog start",
    "rc2.d/S02atd start",
    "rc2.d/S03cron start",
    "rc2.d/S10x.sh start",
  ]);
  assert.deepEqual(rcPlan(fs, "2", "N")[0]?.name, "rsyslog");
});

Deno.test("rc: a missing rcN.d does nothing", () => {
  assert.deepEqual(plan(fakeFs({}), "3", "2"), []);
});

Deno.test("rc: K links first; a service not running before is not stopped again", () => {
  const fs = fakeFs({
    "/etc/rc2.d": ["S01rsyslog", "S02cron", "S03atd", "K01ssh"],
    "/etc/rc1.d": ["K01cron", "K01atd", "K05ssh", "K09nope", "S30killprocs", "S01rsyslog"],
  });
  // 2 → 1: cron and atd were running (S in rc2.d): stopped; ssh had K in rc2.d and no S: skipped;
  // nope was not in rc2.d at all: stopped (Debian only skips on K-without-S in the previous level).
  assert.deepEqual(plan(fs, "1", "2"), [
    "rc1.d/K01atd stop",
    "rc1.d/K01cron stop",
    "rc1.d/K09nope stop",
    "rc1.d/S30killprocs start",
  ]);
});

Deno.test("rc: a service started before and not killed here is not started again", () => {
  const fs = fakeFs({
    "/etc/rc1.d": ["K01cron", "S01rsyslog"],
    "/etc/rc2.d": ["S01rsyslog", "S02cron", "K05bar", "S05bar"],
  });
  // 1 → 2: rsyslog was started in 1 and has no K here: skipped; cron: started; bar has K here:
  // stopped (it was not stopped before) then started again.
  assert.deepEqual(plan(fs, "2", "1"), [
    "rc2.d/K05bar stop",
    "rc2.d/S02cron start",
    "rc2.d/S05bar start",
  ]);
  // The same level again: nothing is stopped (no K in rc2.d for them) and nothing restarted.
  assert.deepEqual(plan(fs, "2", "2"), ["rc2.d/K05bar stop", "rc2.d/S05bar start"]);
});

Deno.test("rc: levels 0 and 6 run S links with stop, skipping what was already stopped", () => {
  const fs = fakeFs({
    "/etc/rc2.d": ["S01cron", "K01ssh"],
    "/etc/rc0.d": ["K01cron", "S01ssh", "S20sendsigs", "S90halt"],
    "/etc/rc6.d": ["K01cron", "S20sendsigs", "S90reboot"],
  });
  assert.deepEqual(plan(fs, "0", "2"), [
    "rc0.d/K01cron stop",
    "rc0.d/S20sendsigs stop",
    "rc0.d/S90halt stop",
  ]);
  assert.deepEqual(plan(fs, "6", "N"), ["rc6.d/S20sendsigs stop", "rc6.d/S90reboot stop"]);
});

Deno.test("rc: dangling links and names without two digits are skipped", () => {
  const fs = fakeFs({
    "/etc/rc2.d": ["S01gone!", "S02cron", "Sfoo", "S1x", "K01dead!", ".S01hidden"],
    "/etc/rc3.d": [],
  });
  assert.deepEqual(plan(fs, "2", "3"), ["rc2.d/S02cron start"]);
});

Deno.test("rc: runlevel S runs rcS.d's S links with start", () => {
  const fs = fakeFs({ "/etc/rcS.d": ["S01mountkernfs.sh", "S02udev"] });
  assert.deepEqual(plan(fs, "S", "N"), ["rcS.d/S01mountkernfs.sh start", "rcS.d/S02udev start"]);
});
