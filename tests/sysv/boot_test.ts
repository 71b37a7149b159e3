/**
 * daybreak as PID 1 of new mount/pid/net/uts/ipc namespaces, over a private
 * /etc/init, /etc/init.d, /etc/rc?.d, /run and /var (see
 * `_enter_boot.sh`), running Debian 12's real cron package and init script,
 * fetched at test time with `apt-get download` (skipped, saying why, when apt
 * cannot fetch it). Boots to runlevel 2 through the rc-sysinit and rc jobs
 * of etc/init/, then drives `service`, `telinit` and `runlevel` through
 * `nsenter` as an administrator would.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { childrenOf, isAlive } from "../helpers/procfs.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
const decoder = new TextDecoder();

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(cmd: string, args: string[], cwd?: string): Promise<Ran> {
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...(cwd ? { cwd } : {}),
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Fetches and unpacks a Debian package; the reason it could not, as a string. */
async function fetchDeb(dir: string, pkg: string): Promise<string | null> {
  const got = await run("apt-get", ["download", pkg], dir);
  if (got.code !== 0) {
    return `apt-get download ${pkg} failed: ${got.stderr.trim().split("\n").pop()}`;
  }
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.name.startsWith(`${pkg}_`) && entry.name.endsWith(".deb")) {
      const x = await run("dpkg", ["-x", entry.name, "x"], dir);
      return x.code === 0 ? null : `dpkg -x ${entry.name} failed: ${x.stderr.trim()}`;
    }
  }
  return `apt-get download ${pkg} left no .deb`;
}

async function prerequisites(fetchDir: string): Promise<string | null> {
  if (Deno.uid() !== 0) return "needs root (namespaces, mounts)";
  for (const tool of ["unshare", "nsenter", "start-stop-daemon", "apt-get", "dpkg"]) {
    if ((await run("sh", ["-c", `command -v ${tool}`])).code !== 0) return `${tool} is missing`;
  }
  try {
    Deno.statSync("/lib/lsb/init-functions");
  } catch {
    return "/lib/lsb/init-functions (Debian's init-script helpers) is missing";
  }
  return await fetchDeb(fetchDir, "cron");
}

const fetchDir = await Deno.makeTempDir({ prefix: "daybreak-sysv-debs-" });
const skip = await prerequisites(fetchDir);
/** Debian's own rc (sysv-rc), for the test of the rc job's choice. */
const skipSysvRc = skip ?? await fetchDeb(fetchDir, "sysv-rc") ?? varsMissing();

function varsMissing(): string | null {
  try {
    Deno.statSync("/lib/init/vars.sh");
    return null;
  } catch {
    return "/lib/init/vars.sh (read by Debian's rc) is missing";
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor<T>(what: string, probe: () => Promise<T | null>, ms = 30000): Promise<T> {
  const until = Date.now() + ms;
  let last: T | null = null;
  while (Date.now() < until) {
    last = await probe();
    if (last !== null) return last;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Builds the staging tree `_enter_boot.sh` installs: our jobs, cron, its rc links. */
async function stage(dir: string, options: { holdBoot?: boolean } = {}): Promise<void> {
  for (const d of ["etc-init", "init.d", "sbin", "rc0.d", "rc1.d", "rc2.d", "rc6.d"]) {
    await Deno.mkdir(`${dir}/${d}`, { recursive: true });
  }
  for (const job of ["rc-sysinit", "rc", "rcS", "control-alt-delete"]) {
    await Deno.copyFile(`${ROOT}/etc/init/${job}.conf`, `${dir}/etc-init/${job}.conf`);
  }
  await Deno.copyFile(`${fetchDir}/x/etc/init.d/cron`, `${dir}/init.d/cron`);
  await Deno.chmod(`${dir}/init.d/cron`, 0o755);
  await Deno.copyFile(`${fetchDir}/x/usr/sbin/cron`, `${dir}/sbin/cron`);
  await Deno.chmod(`${dir}/sbin/cron`, 0o755);
  // A native job with the upstart-job shim as its init script.
  await Deno.writeTextFile(
    `${dir}/etc-init/sleeper.conf`,
    "start on runlevel [2345]\nstop on runlevel [!2345]\nexec sleep 1000\n",
  );
  await Deno.symlink(`${ROOT}/bin/upstart-job`, `${dir}/init.d/sleeper`);
  // Holds rc-sysinit (and so the first runlevel) until the test creates /run/go: the boot events
  // reach the daemon in milliseconds (docs/pid1.md#the-command-fifo), faster than a first look.
  if (options.holdBoot === true) {
    await Deno.writeTextFile(
      `${dir}/etc-init/hold-boot.conf`,
      "start on starting rc-sysinit\ntask\n" +
        "exec sh -c 'while [ ! -e /run/go ]; do sleep 0.05; done'\n",
    );
  }
  // As update-rc.d would link cron (Debian: start in 2-5, stop in 0, 1, 6).
  await Deno.symlink("../init.d/cron", `${dir}/rc2.d/S01cron`);
  for (const level of ["0", "1", "6"]) {
    await Deno.symlink("../init.d/cron", `${dir}/rc${level}.d/K01cron`);
  }
}

/** A booted namespace. */
interface System {
  /** Runs a command inside the namespaces with an administrator's environment. */
  inside(...argv: string[]): Promise<Ran>;
  /** Waits until `runlevel` prints `want`. */
  levels(want: string): Promise<true>;
  /**
   * Kills the namespace's init (and so every process in it) and removes the
   * staging tree.
   *
   * @returns what init and its jobs wrote on init's stdout and stderr
   */
  stop(): Promise<string>;
}

/**
 * Starts daybreak as PID 1 of new namespaces over the staging tree `dir`,
 * and waits for its system socket.
 *
 * @param dir the staging tree (see `_enter_boot.sh`)
 * @returns the running system
 */
async function startSystem(dir: string): Promise<System> {
  const ns = new Deno.Command("unshare", {
    args: [
      "--mount",
      "--pid",
      "--fork",
      "--mount-proc",
      "--net",
      "--uts",
      "--ipc",
      "sh",
      `${ROOT}/tests/sysv/_enter_boot.sh`,
      ROOT,
      dir,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const initOutput = ns.output();
  let init = 0;
  const inside = (...argv: string[]) =>
    run("nsenter", [
      "-t",
      String(init),
      "-m",
      "-p",
      "-n",
      "-u",
      "-i",
      "env",
      "-i",
      "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
      "HOME=/root",
      "TERM=dumb",
      "LANG=C",
      ...argv,
    ]);
  const stop = async () => {
    // Killing the namespace's init ends every process in it; its mounts go with it.
    try {
      if (init > 0 && isAlive(init)) Deno.kill(init, "SIGKILL");
      else ns.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    const out = await initOutput;
    await Deno.remove(dir, { recursive: true });
    return decoder.decode(out.stdout) + decoder.decode(out.stderr);
  };
  const levels = (want: string) =>
    waitFor(
      `runlevel ${want}`,
      async () => (await inside("runlevel")).stdout === `${want}\n` ? true as const : null,
    );
  try {
    init = await waitFor("the namespace's init", () => {
      const kids = childrenOf(ns.pid);
      return Promise.resolve(kids[0] ?? null);
    }, 10000);
    await waitFor(
      "the system socket",
      async () => (await inside("test", "-S", "/run/daybreak/initctl.sock")).code === 0 || null,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { inside, levels, stop };
}

Deno.test({
  name: skip === null
    ? "sysv: boot to runlevel 2 with Debian's cron, service, telinit 1 and back"
    : `sysv: boot with Debian's cron (SKIPPED: ${skip})`,
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "daybreak-sysv-" });
    await stage(dir, { holdBoot: true });
    const system = await startSystem(dir);
    const { inside, levels } = system;
    let console = "";
    const cronPid = async () => {
      const r = await inside("sh", "-c", "cat /run/crond.pid 2>/dev/null");
      const pid = Number(r.stdout.trim());
      return pid > 0 ? pid : null;
    };
    try {
      // No runlevel yet: utmp is empty.
      assert.deepEqual(await inside("runlevel"), { code: 1, stdout: "unknown\n", stderr: "" });
      await inside("touch", "/run/go");

      // What mounting and networking would announce; rc-sysinit then runs telinit 2, rc runs rc2.d.
      await levels("N 2");
      const first = await waitFor("cron's pid file", cronPid);

      const all = await inside("service", "--status-all");
      assert.deepEqual(all, { code: 0, stdout: " [ + ]  cron\n [ + ]  sleeper\n", stderr: "" });

      // The native job: through the job commands, and through its /etc/init.d shim.
      let r = await inside("service", "sleeper", "status");
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^sleeper start\/running, process \d+\n$/);
      r = await inside("/etc/init.d/sleeper", "stop");
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Rather than invoking init scripts through \/etc\/init.d/);
      assert.match(r.stdout, /^sleeper stop\/waiting$/m);
      r = await inside("/etc/init.d/sleeper", "status");
      assert.equal(r.code, 3);
      assert.deepEqual(await inside("service", "--status-all"), {
        code: 0,
        stdout: " [ + ]  cron\n [ - ]  sleeper\n",
        stderr: "",
      });
      r = await inside("/etc/init.d/sleeper", "start");
      assert.deepEqual([r.code, r.stderr], [0, ""]);
      const started = /^sleeper start\/running, process (\d+)$/m.exec(r.stdout)?.[1];
      assert.ok(started, r.stdout);
      // Already running: the shim's start does nothing; restart gives a new process.
      r = await inside("/etc/init.d/sleeper", "start");
      assert.equal(r.code, 0);
      assert.doesNotMatch(r.stdout, /process/);
      r = await inside("/etc/init.d/sleeper", "restart");
      assert.equal(r.code, 0, r.stderr);
      const restarted = /^sleeper start\/running, process (\d+)$/m.exec(r.stdout)?.[1];
      assert.ok(restarted && restarted !== started, r.stdout);

      // Debian's exit codes through `service` (LSB: 3 = not running).
      r = await inside("service", "cron", "status");
      assert.deepEqual([r.code, r.stdout.trim()], [0, "cron is running."]);
      r = await inside("service", "cron", "restart");
      assert.equal(r.code, 0, r.stderr);
      const second = await waitFor("cron's new pid", async () => {
        const pid = await cronPid();
        return pid !== null && pid !== first ? pid : null;
      });
      r = await inside("service", "cron", "stop");
      assert.equal(r.code, 0, r.stderr);
      r = await inside("service", "cron", "status");
      assert.equal(r.code, 3, r.stdout);
      assert.match(r.stdout, /cron is not running/);
      assert.deepEqual(await inside("service", "--status-all"), {
        code: 0,
        stdout: " [ - ]  cron\n [ + ]  sleeper\n",
        stderr: "",
      });
      r = await inside("service", "cron", "start");
      assert.equal(r.code, 0, r.stderr);
      r = await inside("service", "cron", "status");
      assert.equal(r.code, 0, r.stdout);
      assert.notEqual(await cronPid(), second);

      // Runlevel 1 stops cron through rc1.d's K link; back to 2 starts it again.
      assert.deepEqual(await inside("telinit", "1"), { code: 0, stdout: "", stderr: "" });
      await levels("2 1");
      await waitFor(
        "cron stopped",
        async () => (await inside("service", "cron", "status")).code === 3 || null,
      );
      assert.equal((await inside("telinit", "2")).code, 0);
      await levels("1 2");
      await waitFor(
        "cron started",
        async () => (await inside("service", "cron", "status")).code === 0 || null,
      );

      // util-linux reads the records telinit wrote.
      const last = await inside("last", "-x", "-f", "/var/log/wtmp");
      assert.equal(last.stdout.match(/^runlevel \(to lvl [0-9S]\)/gm)?.length, 3, last.stdout);
      assert.match(last.stdout, /^runlevel \(to lvl 2\) .*still running/m);
      // One boot record, from the first change (utmp and wtmp had no runlevel yet).
      assert.equal(last.stdout.match(/^reboot +system boot/gm)?.length, 1, last.stdout);
    } finally {
      console = await system.stop();
    }
    // The rc job's `console output`: cron's messages; rc-sysinit and rc ended cleanly.
    assert.match(console, /^Starting periodic command scheduler: cron\.$/m);
    assert.doesNotMatch(
      console,
      /(rc-sysinit|rc) main process .*(killed by|terminated with)/,
      console,
    );
  },
});

Deno.test({
  name: skip === null
    ? "sysv: rc-sysinit enters /etc/inittab's initdefault level"
    : `sysv: inittab's initdefault (SKIPPED: ${skip})`,
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "daybreak-sysv-" });
    await stage(dir);
    await Deno.writeTextFile(`${dir}/inittab`, "# default runlevel\nid:3:initdefault:\n");
    await Deno.mkdir(`${dir}/rc3.d`);
    await Deno.symlink("../init.d/cron", `${dir}/rc3.d/S01cron`);
    const system = await startSystem(dir);
    try {
      await system.levels("N 3");
      // utmp says 3 as soon as telinit ran; the rc job starts cron from rc3.d just after.
      await waitFor(
        "cron started by rc3.d",
        async () => (await system.inside("service", "cron", "status")).code === 0 || null,
      );
      // Inside the rc job's environment, runlevel answers from $RUNLEVEL/$PREVLEVEL.
      const env = await system.inside("env", "RUNLEVEL=3", "PREVLEVEL=", "runlevel");
      assert.equal(env.stdout, "N 3\n");
    } finally {
      await system.stop();
    }
  },
});

Deno.test({
  name: skipSysvRc === null
    ? "sysv: the rc job runs the system's own /etc/init.d/rc (Debian's sysv-rc) when present"
    : `sysv: Debian's sysv-rc (SKIPPED: ${skipSysvRc})`,
  ignore: skipSysvRc !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "daybreak-sysv-" });
    await stage(dir);
    await Deno.copyFile(`${fetchDir}/x/lib/init/rc`, `${dir}/init.d/rc`);
    await Deno.chmod(`${dir}/init.d/rc`, 0o755);
    // A script that records who ran it, with which levels.
    await Deno.writeTextFile(
      `${dir}/init.d/probe`,
      "#!/bin/sh\necho \"$1 $RUNLEVEL $PREVLEVEL $(tr '\\0' ' ' </proc/$PPID/cmdline)\" >>/run/probe\n",
      { mode: 0o755 },
    );
    await Deno.symlink("../init.d/probe", `${dir}/rc2.d/S02probe`);
    await Deno.symlink("../init.d/probe", `${dir}/rc1.d/K02probe`);
    const system = await startSystem(dir);
    try {
      await system.levels("N 2");
      assert.equal((await system.inside("service", "cron", "status")).code, 0);
      assert.equal((await system.inside("telinit", "1")).code, 0);
      await system.levels("2 1");
      await waitFor(
        "cron stopped",
        async () => (await system.inside("service", "cron", "status")).code === 3 || null,
      );
      const probe = await waitFor("the probe's two runs", async () => {
        const text = (await system.inside("cat", "/run/probe")).stdout;
        return text.split("\n").length > 2 ? text : null;
      });
      assert.match(
        probe,
        /^start 2 N .*\/etc\/init\.d\/rc 2 ?\nstop 1 2 .*\/etc\/init\.d\/rc 1 ?\n$/,
      );
    } finally {
      await system.stop();
    }
  },
});

// The fetched package is shared by the tests of this file; removed once the last one ran.
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(fetchDir, { recursive: true });
  } catch {
    // Already removed.
  }
});
