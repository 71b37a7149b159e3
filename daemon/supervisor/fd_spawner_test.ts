import assert from "node:assert/strict";
import { type ExitStatus, SpawnError, type SpawnRequest } from "../ports.ts";
import { FdSpawner } from "./fd_spawner.ts";
import { readLink, readText } from "../../sys/libc.ts";
import { listChildren, readProcStat } from "../../sys/procfs.ts";
import { Reaper } from "./reaper.ts";
import { spawnRequest } from "../../tests/fakes/spawn_request.ts";

const PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

function request(overrides: Partial<SpawnRequest>): SpawnRequest {
  return spawnRequest({ env: [PATH], ...overrides });
}

const spawner = new FdSpawner({ reaper: new Reaper() });

/** Runs `body` with a temp dir, then checks that no child of ours is left as a zombie. */
async function withTmp(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = Deno.makeTempDirSync();
  try {
    await body(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  // Deno collects its children asynchronously, and a child just sent SIGKILL (a failed spawn's)
  // may still be dying, not yet a zombie: wait until no child is left at all, then insist.
  const zombies = () => listChildren().filter((pid) => readProcStat(pid)?.state === "Z");
  await waitFor(() => listChildren().length === 0, 10_000).catch(() => {});
  assert.deepEqual(zombies(), [], "no zombie child is left");
}

/** Spawns with console log into `dir` and returns the exit and the log text (null: no file). */
async function runLogged(
  dir: string,
  overrides: Partial<SpawnRequest>,
): Promise<{ status: ExitStatus; log: string | null }> {
  const req = request({ console: "log", logDir: dir, ...overrides });
  const status = await spawner.spawn(req).exited;
  const name = `${dir}/${req.job.replaceAll("/", "_")}.log`;
  let log: string | null = null;
  try {
    log = Deno.readTextFileSync(name);
  } catch {
    // no output, no file
  }
  return { status, log };
}

async function waitFor(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error("Cannot reach the expected state: timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

function gone(pid: number): boolean {
  const st = readProcStat(pid);
  return st === null || st.state === "Z";
}

Deno.test("FdSpawner reports exit codes and runs every process in its own session", async () => {
  await withTmp(async () => {
    const p = spawner.spawn(request({ script: true, command: "sleep 0.5; exit 3" }));
    assert.equal(p.tracked, null);
    await waitFor(() => readProcStat(p.pid)?.session === p.pid);
    assert.equal(readProcStat(p.pid)?.pgrp, p.pid);
    assert.deepEqual(await p.exited, { code: 3 });
    assert.deepEqual(await spawner.spawn(request({ command: "/bin/true" })).exited, { code: 0 });
  });
});

Deno.test("FdSpawner reports a signal death by number", async () => {
  await withTmp(async () => {
    const p = spawner.spawn(request({ command: "sleep 30" }));
    // setsid() runs in the child before the exec (POSIX_SPAWN_SETSID): the session exists.
    await waitFor(() => readProcStat(p.pid)?.session === p.pid);
    spawner.kill(p.pid, 15, { group: false });
    assert.deepEqual(await p.exited, { signal: 15 });
    spawner.kill(p.pid, 15, { group: true }); // already gone: not an error
  });
});

Deno.test("FdSpawner kills the whole process group, grandchildren included", async () => {
  await withTmp(async (dir) => {
    const p = spawner.spawn(
      request({ script: true, command: `sleep 300 & echo $! > ${dir}/gc\nwait\n` }),
    );
    try {
      await waitFor(() => readText(`${dir}/gc`)?.endsWith("\n") === true);
      const grandchild = Number(Deno.readTextFileSync(`${dir}/gc`));
      assert.equal(readProcStat(grandchild)?.pgrp, p.pid);
      spawner.kill(p.pid, 15, { group: true });
      assert.deepEqual(await p.exited, { signal: 15 });
      await waitFor(() => gone(grandchild));
    } finally {
      spawner.kill(p.pid, 9, { group: true });
      await p.exited;
    }
  });
});

Deno.test("FdSpawner gives the process exactly the requested environment", async () => {
  await withTmp(async (dir) => {
    const { status, log } = await runLogged(dir, {
      command: "/usr/bin/env",
      env: ["A=1", PATH, "EMPTY=", "A=2"],
    });
    assert.deepEqual(status, { code: 0 });
    assert.deepEqual(log?.split("\n").sort(), ["", "A=2", "EMPTY=", PATH].sort());
  });
});

Deno.test("FdSpawner logs stdout and stderr to JOB-INSTANCE.log with mode 0640", async () => {
  await withTmp(async (dir) => {
    const req = request({
      job: "foo/bar",
      instance: "a/b",
      console: "log",
      logDir: dir,
      script: true,
      command: "echo out\necho err >&2\nprintf 'no newline'\n",
    });
    assert.deepEqual(await spawner.spawn(req).exited, { code: 0 });
    const path = `${dir}/foo_bar-a_b.log`;
    const text = Deno.readTextFileSync(path);
    // Two pipes: each stream keeps its order, but they interleave by arrival.
    assert.equal(text.length, "out\nerr\nno newline".length);
    assert.ok(text.includes("err\n"), text);
    assert.ok(text.replace("err\n", "") === "out\nno newline", text);
    assert.equal(Deno.statSync(path).mode! & 0o777, 0o640);
  });
});

Deno.test("FdSpawner creates no log file for a process that prints nothing", async () => {
  await withTmp(async (dir) => {
    const { status, log } = await runLogged(dir, { command: "/bin/true" });
    assert.deepEqual(status, { code: 0 });
    assert.equal(log, null);
  });
});

Deno.test("FdSpawner re-creates a log file deleted while the job runs", async () => {
  await withTmp(async (dir) => {
    const req = request({
      console: "log",
      logDir: dir,
      script: true,
      command: `echo one\nuntil [ -e ${dir}/go ]; do sleep 0.01; done\necho two\n`,
    });
    const p = spawner.spawn(req);
    await waitFor(() => {
      try {
        return Deno.readTextFileSync(`${dir}/test.log`) === "one\n";
      } catch {
        return false;
      }
    });
    Deno.removeSync(`${dir}/test.log`);
    Deno.writeTextFileSync(`${dir}/go`, "");
    assert.deepEqual(await p.exited, { code: 0 });
    assert.equal(Deno.readTextFileSync(`${dir}/test.log`), "two\n");
  });
});

Deno.test("FdSpawner puts console none on /dev/null and log's stdin too", async () => {
  await withTmp(async (dir) => {
    const none = spawner.spawn(request({ command: "sleep 30" }));
    const log = spawner.spawn(request({ command: "sleep 30", console: "log", logDir: dir }));
    try {
      for (const fd of [0, 1, 2]) assert.equal(readLink(`/proc/${none.pid}/fd/${fd}`), "/dev/null");
      assert.equal(readLink(`/proc/${log.pid}/fd/0`), "/dev/null");
      assert.match(readLink(`/proc/${log.pid}/fd/1`), /^pipe:/);
    } finally {
      spawner.kill(none.pid, 9, { group: true });
      spawner.kill(log.pid, 9, { group: true });
      await Promise.all([none.exited, log.exited]);
    }
  });
});

Deno.test("FdSpawner fails spawns with Upstart's reasons", async (t) => {
  const cases: [Partial<SpawnRequest>, string][] = [
    [{ command: "/nonexistent/prog" }, "unable to execute: No such file or directory"],
    [{ command: "no-such-program-xyz" }, "unable to execute: No such file or directory"],
    [{ command: "/etc/passwd" }, "unable to execute: Permission denied"],
    [{ setuid: "no-such-user-xyz" }, "unable to find setuid user"],
    [{ setgid: "no-such-group-xyz" }, "unable to find setgid group"],
    [{ chroot: "/nonexistent-root" }, "unable to change root directory: No such file or directory"],
    [
      { chdir: "/nonexistent-dir" },
      "unable to change working directory: No such file or directory",
    ],
    [{ chdir: "/etc/passwd" }, "unable to change working directory: Not a directory"],
  ];
  for (const [overrides, reason] of cases) {
    await t.step(`${JSON.stringify(overrides)}: ${reason}`, () => {
      assert.throws(
        () => spawner.spawn(request(overrides)),
        (e) => e instanceof SpawnError && e.reason === reason && e.message === reason,
      );
    });
  }
});

Deno.test("FdSpawner applies setuid, umask, nice, limit and chdir", async () => {
  await withTmp(async (dir) => {
    const id = await runLogged(dir, { command: "/usr/bin/id", setuid: "nobody" });
    assert.equal(id.log, "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n");
    Deno.removeSync(`${dir}/test.log`);
    const setup = await runLogged(dir, {
      script: true,
      command: "umask\nulimit -n\nnice\npwd\n",
      umask: 0o027,
      nice: 5,
      limits: { nofile: [256, 512] },
      chdir: "/usr",
    });
    assert.deepEqual(setup.status, { code: 0 });
    assert.equal(setup.log, "0027\n256\n5\n/usr\n");
  });
});

Deno.test("FdSpawner chroots, changes directory inside the root and finds users there", async () => {
  await withTmp(async (root) => {
    Deno.chmodSync(root, 0o755); // the job's user must be able to walk its own root
    for (const d of ["bin", "etc", "srv"]) Deno.mkdirSync(`${root}/${d}`);
    Deno.copyFileSync("/bin/busybox", `${root}/bin/busybox`);
    Deno.chmodSync(`${root}/bin/busybox`, 0o755);
    Deno.symlinkSync("/bin/busybox", `${root}/bin/sh`);
    Deno.writeTextFileSync(`${root}/etc/passwd`, "jailer:x:4242:4343::/:/bin/sh\n");
    Deno.writeTextFileSync(`${root}/etc/group`, "jail:x:4343:\nextra:x:4444:jailer\n");
    Deno.mkdirSync(`${root}/logs`);
    const req = request({
      console: "log",
      logDir: `${root}/logs`,
      script: true,
      command: "pwd\n/bin/busybox id -u\n/bin/busybox id -G\n",
      env: ["PATH=/bin"],
      chroot: root,
      chdir: "/srv",
      setuid: "jailer",
    });
    assert.deepEqual(await spawner.spawn(req).exited, { code: 0 });
    assert.equal(Deno.readTextFileSync(`${root}/logs/test.log`), "/srv\n4242\n4343 4444\n");
    assert.throws(
      () => spawner.spawn({ ...req, setuid: "nobody" }),
      (e) => e instanceof SpawnError && e.reason === "unable to find setuid user",
    );
  });
});

Deno.test("FdSpawner writes oom_score_adj from the parent", async () => {
  await withTmp(async () => {
    const p = spawner.spawn(request({ command: "sleep 30", oomScoreAdj: 500 }));
    try {
      assert.equal(readText(`/proc/${p.pid}/oom_score_adj`), "500\n");
    } finally {
      spawner.kill(p.pid, 9, { group: true });
      await p.exited;
    }
    // Lowering needs CAP_SYS_RESOURCE: without it the spawn fails as Upstart's would.
    let q;
    try {
      q = spawner.spawn(request({ command: "sleep 30", oomScoreAdj: -500 }));
    } catch (e) {
      assert.ok(e instanceof SpawnError);
      assert.equal(e.reason, "unable to set oom adjustment: Permission denied");
      return;
    }
    assert.equal(readText(`/proc/${q.pid}/oom_score_adj`), "-500\n");
    spawner.kill(q.pid, 9, { group: true });
    await q.exited;
  });
});
