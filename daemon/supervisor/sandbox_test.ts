/**
 * Upstart's process stanzas and daybreak's sandbox stanzas, checked on live processes spawned
 * by the real {@linkcode FdSpawner}: `/proc/PID/status`, `/proc/PID/limits`,
 * `/proc/PID/oom_score_adj`, `/proc/PID/stat`, namespaces, and the files the job tried to touch.
 *
 * Root here lacks CAP_SYS_RESOURCE (see docs/platform.md#security-tools): where the kernel refuses,
 * the test expects the refusal, and the success elsewhere (the QEMU guest has every capability).
 */
import assert from "node:assert/strict";
import { type ExitStatus, SpawnError, type SpawnRequest } from "../ports.ts";
import { FdSpawner } from "./fd_spawner.ts";
import { NO_SANDBOX } from "../../security/sandbox.ts";
import { CAP_SYS_RESOURCE, capabilityMask } from "../../security/setup_checks.ts";
import { isChildSubreaper, readLink, readText } from "../../sys/libc.ts";
import { listChildren, readProcStat } from "../../sys/procfs.ts";
import { Reaper } from "./reaper.ts";
import { spawnRequest } from "../../tests/fakes/spawn_request.ts";

const PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const SLEEP = "/usr/bin/sleep";
const SIGHUP = 1;
const SIGKILL = 9;
const SIGTERM = 15;

const spawner = new FdSpawner({ reaper: new Reaper() });
const OWN_CAPS = capabilityMask(readText("/proc/self/status") ?? "");
const HAS_SYS_RESOURCE = (OWN_CAPS >> BigInt(CAP_SYS_RESOURCE) & 1n) === 1n;

function request(overrides: Partial<SpawnRequest>): SpawnRequest {
  return spawnRequest({ job: "sandboxed", command: `${SLEEP} 30`, env: [PATH], ...overrides });
}

function sandbox(overrides: Partial<typeof NO_SANDBOX>): typeof NO_SANDBOX {
  return { ...NO_SANDBOX, ...overrides };
}

async function waitFor(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`Cannot see ${what}: timed out`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Runs `body` in a temp dir, then insists that no child of ours is left as a zombie. */
async function withTmp(body: (dir: string) => Promise<void>): Promise<void> {
  // As a subreaper (left so by another test file in this process), a job killed with its group
  // could be re-parented here as a zombie when bwrap's monitor dies before reaping it: this
  // file's reaper is not started and would never collect it.
  assert.equal(isChildSubreaper(), false, "the test process is not a subreaper");
  const dir = Deno.makeTempDirSync({ prefix: "sandbox-test-" });
  try {
    await body(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  const zombies = () => listChildren().filter((pid) => readProcStat(pid)?.state === "Z");
  // Generous: Deno collects its own children (Deno.Command) on its own event-loop turns. A child
  // just killed may still be dying, not yet a zombie: wait until none is left at all.
  await waitFor("no children", () => listChildren().length === 0, 10_000).catch(() => {});
  assert.deepEqual(zombies(), [], "no zombie child is left");
}

function cmdline(pid: number): string[] {
  return (readText(`/proc/${pid}/cmdline`) ?? "").split("\0").filter((a) => a !== "");
}

/** `/proc/PID/status` as a map, once the process runs the job's own program. */
async function liveStatus(pid: number, program = SLEEP): Promise<Map<string, string>> {
  await waitFor(`${program} in ${pid}`, () => cmdline(pid)[0] === program);
  const out = new Map<string, string>();
  for (const line of (readText(`/proc/${pid}/status`) ?? "").split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) out.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return out;
}

/** Spawns a long-running job, hands its pid to `check`, then kills the whole group. */
async function whileRunning(
  overrides: Partial<SpawnRequest>,
  check: (pid: number) => Promise<void> | void,
): Promise<ExitStatus> {
  const p = spawner.spawn(request(overrides));
  try {
    await check(p.pid);
  } finally {
    spawner.kill(p.pid, SIGKILL, { group: true });
  }
  return await p.exited;
}

/** Runs a script with its output logged into `dir`; returns the exit and the log text. */
async function runScript(
  dir: string,
  script: string,
  overrides: Partial<SpawnRequest>,
): Promise<{ status: ExitStatus; log: string }> {
  const req = request({ console: "log", logDir: dir, script: true, command: script, ...overrides });
  const status = await spawner.spawn(req).exited;
  let log = "";
  try {
    log = Deno.readTextFileSync(`${dir}/${req.job}.log`);
    Deno.removeSync(`${dir}/${req.job}.log`);
  } catch {
    // no output
  }
  return { status, log };
}

function spawnFails(overrides: Partial<SpawnRequest>, reason: string): void {
  assert.throws(
    () => spawner.spawn(request(overrides)),
    (e) => e instanceof SpawnError && e.reason === reason,
  );
}

Deno.test("setuid switches uid and gid and sets initgroups' supplementary groups", async () => {
  await withTmp(async () => {
    await whileRunning({ setuid: "nobody" }, async (pid) => {
      const st = await liveStatus(pid);
      assert.equal(st.get("Uid"), "65534\t65534\t65534\t65534");
      assert.equal(st.get("Gid"), "65534\t65534\t65534\t65534");
      assert.equal(st.get("Groups"), "65534");
    });
    // A user with a supplementary group, if this system has one: `id -G` is the oracle.
    const member = Deno.readTextFileSync("/etc/group").split("\n")
      .map((l) => l.split(":")[3] ?? "").find((m) => m !== "")?.split(",")[0];
    if (member === undefined) return;
    const id = new Deno.Command("id", { args: ["-G", member], stdout: "piped" }).outputSync();
    const want = new TextDecoder().decode(id.stdout).trim().split(" ").map(Number);
    await whileRunning({ setuid: member }, async (pid) => {
      const groups = (await liveStatus(pid)).get("Groups")?.split(" ").map(Number);
      assert.deepEqual(groups?.sort((a, b) => a - b), want.sort((a, b) => a - b));
    });
  });
});

Deno.test("setgid alone changes only the group, keeping root's memberships", async () => {
  await withTmp(async () => {
    await whileRunning({ setgid: "daemon" }, async (pid) => {
      const st = await liveStatus(pid);
      assert.equal(st.get("Uid"), "0\t0\t0\t0");
      assert.equal(st.get("Gid"), "1\t1\t1\t1");
      assert.equal(st.get("Groups")?.split(" ")[0], "1");
    });
  });
});

Deno.test("umask, nice and limit show in /proc/PID/status, stat and limits", async () => {
  await withTmp(async () => {
    await whileRunning({
      umask: 0o027,
      nice: 7,
      limits: { nofile: [256, 512], core: [0, 0], nproc: [100, 200] },
    }, async (pid) => {
      assert.equal((await liveStatus(pid)).get("Umask"), "0027");
      assert.equal(readProcStat(pid)?.nice, 7);
      const limits = readText(`/proc/${pid}/limits`) ?? "";
      assert.match(limits, /^Max open files\s+256\s+512\s+files\s*$/m);
      assert.match(limits, /^Max core file size\s+0\s+0\s+bytes\s*$/m);
      assert.match(limits, /^Max processes\s+100\s+200\s+processes\s*$/m);
    });
    // Raising priority needs CAP_SYS_NICE, which root has here.
    await whileRunning({ nice: -5 }, async (pid) => {
      await liveStatus(pid);
      assert.equal(readProcStat(pid)?.nice, -5);
    });
  });
});

Deno.test("limit failures are spawn failures naming the resource, as the kernel decides", () => {
  const [, hard] = (readText("/proc/self/limits") ?? "").match(
    /^Max open files\s+\S+\s+(\S+)/m,
  ) ?? [];
  const above = Number(hard) + 1;
  const raise = { limits: { nofile: [above, above] as const } };
  if (HAS_SYS_RESOURCE) {
    const p = spawner.spawn(request({ ...raise, command: "/bin/true" }));
    assert.equal(p.pid > 0, true);
  } else {
    spawnFails(raise, 'unable to set "nofile" resource limit: Operation not permitted');
  }
  spawnFails(
    { limits: { nofile: [10, 5] } },
    'unable to set "nofile" resource limit: Invalid argument',
  );
  const nrOpen = Number(readText("/proc/sys/fs/nr_open"));
  spawnFails(
    { limits: { nofile: [1, nrOpen + 1] } },
    'unable to set "nofile" resource limit: Operation not permitted',
  );
});

Deno.test("oom score is written to /proc/PID/oom_score_adj; never needs CAP_SYS_RESOURCE", async () => {
  await withTmp(async () => {
    await whileRunning({ oomScoreAdj: 500 }, (pid) => {
      assert.equal(readText(`/proc/${pid}/oom_score_adj`), "500\n");
    });
    if (HAS_SYS_RESOURCE) {
      await whileRunning({ oomScoreAdj: -1000 }, (pid) => {
        assert.equal(readText(`/proc/${pid}/oom_score_adj`), "-1000\n");
      });
    } else {
      spawnFails({ oomScoreAdj: -1000 }, "unable to set oom adjustment: Permission denied");
    }
  });
});

Deno.test("chroot and chdir place a busybox job in its root, with no-new-privileges too", async () => {
  await withTmp(async (root) => {
    Deno.chmodSync(root, 0o755);
    for (const d of ["bin", "etc", "srv"]) Deno.mkdirSync(`${root}/${d}`);
    Deno.copyFileSync("/bin/busybox", `${root}/bin/busybox`);
    Deno.chmodSync(`${root}/bin/busybox`, 0o755);
    Deno.symlinkSync("/bin/busybox", `${root}/bin/sleep`);
    Deno.writeTextFileSync(`${root}/etc/passwd`, "jailer:x:4242:4343::/:/bin/sh\n");
    Deno.writeTextFileSync(`${root}/etc/group`, "jail:x:4343:\nextra:x:4444:jailer\n");
    await whileRunning({
      command: "/bin/sleep 30",
      env: ["PATH=/bin"],
      chroot: root,
      chdir: "/srv",
      setuid: "jailer",
      sandbox: sandbox({ noNewPrivileges: true, capabilities: ["net_bind_service"] }),
    }, async (pid) => {
      const st = await liveStatus(pid, "/bin/sleep");
      assert.equal(readLink(`/proc/${pid}/root`), root);
      assert.equal(readLink(`/proc/${pid}/cwd`), `${root}/srv`);
      assert.equal(st.get("Uid"), "4242\t4242\t4242\t4242");
      assert.equal(st.get("Groups"), "4343 4444");
      assert.equal(st.get("NoNewPrivs"), "1");
      // The chroot step keeps what it needs as root: cap_setuid (7) and cap_sys_chroot (18).
      assert.equal(st.get("CapBnd"), "0000000000040480");
      assert.equal(st.get("CapEff"), "0000000000000000");
    });
  });
});

Deno.test("no-new-privileges and capabilities set NoNewPrivs and CapBnd without bwrap", async () => {
  await withTmp(async () => {
    const p = spawner.spawn(request({ sandbox: sandbox({ noNewPrivileges: true }) }));
    try {
      const st = await liveStatus(p.pid);
      assert.equal(st.get("NoNewPrivs"), "1");
      assert.equal(
        st.get("CapBnd"),
        capabilityMask(readText("/proc/self/status") ?? "", "CapBnd")
          .toString(16).padStart(16, "0"),
      );
      assert.equal(readProcStat(p.pid)?.ppid, Deno.pid, "no monitor in between");
    } finally {
      spawner.kill(p.pid, SIGKILL, { group: true });
      await p.exited;
    }
    await whileRunning({
      setuid: "nobody",
      sandbox: sandbox({ capabilities: ["net_bind_service", "kill"] }),
    }, async (pid) => {
      const st = await liveStatus(pid);
      assert.equal(st.get("CapBnd"), "0000000000000420");
      assert.equal(st.get("CapEff"), "0000000000000000");
      assert.equal(st.get("NoNewPrivs"), "0");
    });
    await whileRunning({ sandbox: sandbox({ capabilities: [] }) }, async (pid) => {
      const st = await liveStatus(pid);
      assert.equal(st.get("CapBnd"), "0000000000000000");
      assert.equal(st.get("CapEff"), "0000000000000000", "root keeps nothing outside the set");
    });
  });
});

Deno.test("protect-system: writes fail outside the read-write paths and succeed inside", async () => {
  await withTmp(async (dir) => {
    for (const d of ["rw", "rw/ro", "other", "logs"]) Deno.mkdirSync(`${dir}/${d}`);
    const script = [
      `echo ok > ${dir}/rw/file && echo rw-ok`,
      `{ echo no > ${dir}/other/file; } 2>/dev/null || echo other-refused`,
      `{ echo no > ${dir}/rw/ro/file; } 2>/dev/null || echo nested-ro-refused`,
      `{ touch /etc/daybreak-sandbox-probe; } 2>/dev/null || echo etc-refused`,
      "echo fine > /dev/null && echo dev-ok",
      "",
    ].join("\n");
    const run = await runScript(`${dir}/logs`, script, {
      sandbox: sandbox({
        protectSystem: true,
        readWritePaths: [`${dir}/rw`, `${dir}/logs`],
        readOnlyPaths: [`${dir}/rw/ro`],
      }),
    });
    assert.deepEqual(run.status, { code: 0 });
    assert.equal(run.log, "rw-ok\nother-refused\nnested-ro-refused\netc-refused\ndev-ok\n");
    assert.equal(Deno.readTextFileSync(`${dir}/rw/file`), "ok\n");
    assert.throws(() => Deno.statSync(`${dir}/other/file`), Deno.errors.NotFound);
    assert.throws(() => Deno.statSync(`${dir}/rw/ro/file`), Deno.errors.NotFound);
    assert.throws(() => Deno.statSync("/etc/daybreak-sandbox-probe"), Deno.errors.NotFound);
    // The refusal is EROFS, as the job itself sees it.
    const erofs = await runScript(`${dir}/logs`, `echo x > ${dir}/other/file`, {
      sandbox: sandbox({ protectSystem: true }),
    });
    assert.deepEqual(erofs.status, { code: 2 });
    assert.match(erofs.log, /Read-only file system/);
  });
});

Deno.test("read-only-paths alone makes just those paths read-only", async () => {
  await withTmp(async (dir) => {
    Deno.mkdirSync(`${dir}/ro`);
    const run = await runScript(
      dir,
      `{ echo a > ${dir}/ro/f; } 2>/dev/null || echo ro-refused\necho b > ${dir}/w && echo w-ok\n`,
      { sandbox: sandbox({ readOnlyPaths: [`${dir}/ro`] }) },
    );
    assert.equal(run.log, "ro-refused\nw-ok\n");
    assert.equal(Deno.readTextFileSync(`${dir}/w`), "b\n");
  });
});

Deno.test("private-tmp gives the job an empty /tmp the host never sees", async () => {
  await withTmp(async (dir) => {
    const marker = `daybreak-private-${crypto.randomUUID()}`;
    const run = await runScript(
      dir,
      `ls -A /tmp | wc -l\necho hi > /tmp/${marker}\ncat /tmp/${marker}\nstat -c %a /tmp\n`,
      { sandbox: sandbox({ privateTmp: true }), setuid: "nobody" },
    );
    assert.deepEqual(run.status, { code: 0 });
    assert.equal(run.log, "0\nhi\n1777\n");
    assert.throws(() => Deno.statSync(`/tmp/${marker}`), Deno.errors.NotFound);
  });
});

Deno.test("private-network leaves only lo; hostname sets a private host name", async () => {
  await withTmp(async (dir) => {
    const run = await runScript(dir, "ip -br link | cut -d' ' -f1\nhostname\n", {
      sandbox: sandbox({ privateNetwork: true, hostname: "jobbox" }),
    });
    assert.deepEqual(run.status, { code: 0 });
    assert.equal(run.log, "lo\njobbox\n");
    await whileRunning(
      { sandbox: sandbox({ privateNetwork: true, hostname: "jobbox" }) },
      async (pid) => {
        await liveStatus(pid);
        const devices = (readText(`/proc/${pid}/net/dev`) ?? "").split("\n").slice(2)
          .map((l) => l.trim().split(":")[0]).filter((d) => d !== "");
        assert.deepEqual(devices, ["lo"]);
        assert.notEqual(readLink(`/proc/${pid}/ns/net`), readLink("/proc/self/ns/net"));
        assert.notEqual(readLink(`/proc/${pid}/ns/uts`), readLink("/proc/self/ns/uts"));
        assert.equal(readLink(`/proc/${pid}/ns/pid`), readLink("/proc/self/ns/pid"), "real pids");
      },
    );
  });
});

Deno.test("the full sandbox holds on the live process, which is the supervised pid", async () => {
  await withTmp(async (dir) => {
    await whileRunning({
      setuid: "nobody",
      umask: 0o077,
      sandbox: {
        noNewPrivileges: true,
        capabilities: ["net_bind_service"],
        privateTmp: true,
        protectSystem: true,
        readWritePaths: [dir],
        readOnlyPaths: [],
        privateNetwork: true,
        hostname: "full",
      },
    }, async (pid) => {
      const st = await liveStatus(pid);
      assert.equal(st.get("NoNewPrivs"), "1");
      assert.equal(st.get("CapBnd"), "0000000000000400");
      assert.equal(st.get("Uid"), "65534\t65534\t65534\t65534");
      assert.equal(st.get("Umask"), "0077");
      assert.equal(st.get("SigIgn"), "0000000000000000", "the monitor's ignored signals are reset");
      const monitor = readProcStat(pid)?.ppid ?? 0;
      assert.match(cmdline(monitor)[0] ?? "", /bwrap$/);
      assert.equal(readProcStat(monitor)?.ppid, Deno.pid);
      assert.equal(readProcStat(pid)?.pgrp, monitor, "the job is in the group the daemon kills");
    });
  });
});

Deno.test("signals reach a sandboxed job; its death by signal is reported as such", async () => {
  await withTmp(async (dir) => {
    const box = sandbox({ privateTmp: true });
    const p = spawner.spawn(request({
      console: "log",
      logDir: dir,
      script: true,
      // stderr off: the shell reports the loop's `sleep` killed along with the group.
      command: 'exec 2>/dev/null\ntrap "echo got-hup" HUP\ntrap "echo got-term; exit 3" TERM\n' +
        "echo ready\nwhile :; do sleep 0.05; done\n",
      sandbox: box,
    }));
    const log = () => readText(`${dir}/sandboxed.log`) ?? "";
    await waitFor("ready", () => log().includes("ready"));
    spawner.kill(p.pid, SIGHUP, { group: false });
    await waitFor("the HUP trap", () => log().includes("got-hup"));
    spawner.kill(p.pid, SIGTERM, { group: true });
    assert.deepEqual(await p.exited, { code: 3 });
    assert.equal(log(), "ready\ngot-hup\ngot-term\n");

    const q = spawner.spawn(request({ sandbox: box }));
    await liveStatus(q.pid);
    spawner.kill(q.pid, SIGTERM, { group: true });
    assert.deepEqual(await q.exited, { signal: SIGTERM });
    assert.deepEqual(await spawner.spawn(request({ command: "/bin/false", sandbox: box })).exited, {
      code: 1,
    });
  });
});

Deno.test("sandbox stanzas apply to every process of the job but the security one", async () => {
  await withTmp(async (dir) => {
    const box = sandbox({ hostname: "hooks" });
    for (const process of ["pre-start", "post-start", "pre-stop", "post-stop"] as const) {
      const run = await runScript(dir, "hostname\n", { process, sandbox: box });
      assert.equal(run.log, "hooks\n", process);
    }
    const security = await runScript(dir, "hostname\n", { process: "security", sandbox: box });
    assert.equal(security.log, `${Deno.hostname()}\n`);
  });
});

Deno.test("a missing sandbox path fails the spawn, naming it", () => {
  spawnFails(
    { sandbox: sandbox({ readWritePaths: ["/nonexistent-daybreak-path"] }) },
    "unable to sandbox: read-write path /nonexistent-daybreak-path: No such file or directory",
  );
  spawnFails(
    { sandbox: sandbox({ protectSystem: true, readOnlyPaths: ["/nonexistent-ro"] }) },
    "unable to sandbox: read-only path /nonexistent-ro: No such file or directory",
  );
});
