/**
 * The process layer with real processes: storms, big logs, early-closed stdout, forks, the
 * children's signal state, adopting and keeping log pipes across an exec.
 */
import assert from "node:assert/strict";
import type { ExitStatus, SpawnRequest } from "../ports.ts";
import { closeFd, isCloseOnExec, pipe, setChildSubreaper, setCloseOnExec } from "../../sys/libc.ts";
import { posixSpawnp } from "../../sys/posix_spawn.ts";
import { listChildren, readProcStat, readStatus } from "../../sys/procfs.ts";
import { spawnRequest, TEST_PATH } from "../../tests/fakes/spawn_request.ts";
import { FdSpawner } from "./fd_spawner.ts";
import { Reaper } from "./reaper.ts";

const reaper = new Reaper();
const spawner = new FdSpawner({ reaper, logDrainMs: 100 });

function request(overrides: Partial<SpawnRequest>): SpawnRequest {
  return spawnRequest({ env: [TEST_PATH], ...overrides });
}

function zombies(): number[] {
  return listChildren().filter((pid) => readProcStat(pid)?.state === "Z");
}

async function withTmp(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = Deno.makeTempDirSync();
  try {
    await body(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
    await spawner.loop.idle();
  }
  // A child just killed may still be dying (not yet a zombie), and Deno collects its own ones on
  // its turns: wait until no child is left at all, then insist.
  for (const end = Date.now() + 10_000; listChildren().length > 0 && Date.now() < end;) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.deepEqual(zombies(), [], "no zombie child is left");
  assert.equal(reaper.watching, 0, "every watched pid was collected");
}

Deno.test("a spawn storm of 1,000 jobs: every exit reported with its own status", async () => {
  await withTmp(async () => {
    const procs = Array.from(
      { length: 1000 },
      (_, i) => spawner.spawn(request({ command: `/bin/sh -c "exit ${i % 13}"` })),
    );
    const statuses = await Promise.all(procs.map((p) => p.exited));
    assert.deepEqual(statuses, procs.map((_, i) => ({ code: i % 13 })));
    assert.equal(new Set(procs.map((p) => p.pid)).size, 1000);
  });
});

Deno.test("a storm of 1,000 console log jobs: each log whole, one fd per job", async () => {
  await withTmp(async (dir) => {
    const procs = Array.from({ length: 1000 }, (_, i) =>
      spawner.spawn(request({
        job: `j${i}`,
        console: "log",
        logDir: dir,
        command: `/bin/sh -c "echo out ${i}; echo err ${i} >&2"`,
      })));
    assert.ok(spawner.loop.size <= 1000, "at most one poll-set entry per job");
    await Promise.all(procs.map((p) => p.exited));
    for (let i = 0; i < 1000; i += 97) {
      assert.equal(Deno.readTextFileSync(`${dir}/j${i}.log`), `out ${i}\nerr ${i}\n`);
    }
  });
});

Deno.test("a job writing megabytes of log loses nothing", async () => {
  await withTmp(async (dir) => {
    const p = spawner.spawn(request({
      job: "big",
      console: "log",
      logDir: dir,
      script: true,
      command: "head -c 8000000 /dev/zero | tr '\\0' x\necho; echo tail >&2\n",
    }));
    assert.deepEqual(await p.exited, { code: 0 });
    const text = Deno.readTextFileSync(`${dir}/big.log`);
    assert.equal(text.length, 8_000_000 + 6);
    assert.ok(text.endsWith("x\ntail\n"));
  });
});

Deno.test("a job that closes its stdout early keeps running and reports its status", async () => {
  await withTmp(async (dir) => {
    const p = spawner.spawn(request({
      job: "early",
      console: "log",
      logDir: dir,
      script: true,
      // It runs on until told (a fixed sleep could end before a loaded machine sees the close).
      command: `echo bye\nexec >&- 2>&-\nwhile [ ! -e ${dir}/end ]; do sleep 0.02; done\nexit 4\n`,
    }));
    // The pipe ends long before the process: the log is closed, the job still runs.
    for (const end = Date.now() + 15_000; spawner.logFd(p.pid) !== null && Date.now() < end;) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(spawner.logFd(p.pid), null, "the pipe ended with the close");
    assert.equal(readProcStat(p.pid)?.state !== "Z" && readProcStat(p.pid) !== null, true);
    Deno.writeTextFileSync(`${dir}/end`, "");
    assert.deepEqual(await p.exited, { code: 4 });
    assert.equal(Deno.readTextFileSync(`${dir}/early.log`), "bye\n");
  });
});

Deno.test("a job that forks and exits: its status comes at once, the fork's output too", async () => {
  reaper.start(); // the test process becomes a subreaper: the fork is re-parented here
  try {
    await withTmp(async (dir) => {
      const p = spawner.spawn(request({
        job: "forker",
        console: "log",
        logDir: dir,
        script: true,
        // The fork holds the pipe until the test lets it go, however slow the machine.
        command:
          `(while [ ! -e ${dir}/go ]; do sleep 0.02; done; echo late) &\necho early\nexit 2\n`,
      }));
      // exited waits only for the drain limit (100 ms), not for the fork: bounded generously.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<"waited for the fork">((resolve) => {
        timer = setTimeout(() => resolve("waited for the fork"), 20_000);
      });
      assert.deepEqual(await Promise.race([p.exited, late]), { code: 2 });
      clearTimeout(timer);
      const orphan = listChildren().find((pid) => pid !== p.pid && readProcStat(pid) !== null);
      assert.ok(orphan !== undefined, "the fork was re-parented to us");
      assert.notEqual(readProcStat(orphan)?.state, "Z", "the fork still runs");
      Deno.writeTextFileSync(`${dir}/go`, "");
      const status: ExitStatus = await reaper.waitOrphan(orphan);
      assert.deepEqual(status, { code: 0 });
      await spawner.loop.idle();
      assert.equal(Deno.readTextFileSync(`${dir}/forker.log`), "early\nlate\n");
    });
  } finally {
    reaper.stop();
    // Test files after this one share the process and count on it not being a subreaper: a job
    // killed with its group (bwrap's monitor first) would be re-parented here as a zombie that
    // no started reaper collects (daemon/supervisor/sandbox_test.ts).
    setChildSubreaper(false);
  }
});

Deno.test("a job started here has an empty blocked mask and no ignored signal", async () => {
  await withTmp(async () => {
    // A daemon that ignores or blocks signals must not pass that on.
    const p = spawner.spawn(request({ command: "/bin/sleep 5" }));
    try {
      const status = readStatus(p.pid) ?? "";
      assert.match(status, /^SigBlk:\s*0000000000000000$/m);
      assert.match(status, /^SigIgn:\s*0000000000000000$/m);
      const stat = readProcStat(p.pid)!;
      assert.equal(stat.session, p.pid, "it leads its own session");
      assert.equal(stat.pgrp, p.pid);
    } finally {
      spawner.kill(p.pid, 9, { group: true });
    }
    assert.deepEqual(await p.exited, { signal: 9 });
  });
});

Deno.test("Deno's own children keep their status beside the reaper's", async () => {
  await withTmp(async () => {
    const ours = Array.from(
      { length: 50 },
      (_, i) => spawner.spawn(request({ command: `/bin/sh -c "exit ${i % 5}"` })),
    );
    const denos = Array.from(
      { length: 20 },
      (_, i) => new Deno.Command("/bin/sh", { args: ["-c", `exit ${i % 3}`] }).spawn().status,
    );
    const theirs = await Promise.all(denos);
    assert.deepEqual(theirs.map((s) => s.code), denos.map((_, i) => i % 3), "never ECHILD");
    assert.deepEqual(
      await Promise.all(ours.map((p) => p.exited)),
      ours.map((_, i) => ({ code: i % 5 })),
    );
  });
});

Deno.test("adopt: a child this spawner did not start, and a process that is no child", async () => {
  await withTmp(async () => {
    const child = posixSpawnp({
      file: "/bin/sleep",
      argv: ["sleep", "5"],
      env: [TEST_PATH],
      sigmask: [],
      sigdefault: [],
    });
    const adopted = spawner.adopt(child)!;
    assert.equal(adopted.pid, child);
    spawner.kill(child, 15, { group: false });
    assert.deepEqual(await adopted.exited, { signal: 15 });

    // A grandchild: its parent (a Deno child) waits for it; we only see it end (pidfd).
    const parent = new Deno.Command("/bin/sh", {
      args: ["-c", "/bin/sleep 5 & echo $!; wait"],
      stdout: "piped",
    }).spawn();
    const reader = parent.stdout.getReader();
    const { value } = await reader.read();
    const grandchild = Number(new TextDecoder().decode(value).trim());
    const far = spawner.adopt(grandchild)!;
    assert.ok(far !== null);
    spawner.kill(grandchild, 9, { group: false });
    assert.equal(await far.exited, null, "ended; its status belongs to its parent");
    reader.releaseLock();
    await parent.stdout.cancel();
    await parent.status;
    assert.equal(spawner.adopt(grandchild), null, "no such process any more");
  });
});

Deno.test("keepAcrossExec clears close-on-exec on the log pipes and lists them", async () => {
  await withTmp(async (dir) => {
    const p = spawner.spawn(request({
      job: "kept",
      console: "log",
      logDir: dir,
      command: "/bin/sleep 5",
    }));
    try {
      const fd = spawner.logFd(p.pid)!;
      assert.equal(isCloseOnExec(fd), true);
      const kept = spawner.keepAcrossExec();
      assert.deepEqual(kept, [{ pid: p.pid, fd, path: `${dir}/kept.log` }]);
      assert.equal(isCloseOnExec(fd), false);
      spawner.keepAcrossExec(false);
      assert.equal(isCloseOnExec(fd), true);
      setCloseOnExec(fd, true);
    } finally {
      spawner.kill(p.pid, 9, { group: true });
    }
    assert.deepEqual(await p.exited, { signal: 9 });
  });
});

Deno.test("adopt with logFd and moreLogFds drains every pipe into one stamped log", async () => {
  await withTmp(async (dir) => {
    const stamped = new FdSpawner({ reaper, logTimestamps: true });
    const out = pipe();
    const err = pipe();
    const child = posixSpawnp({
      file: "/bin/sh",
      argv: ["sh", "-c", "echo out; echo err >&2"],
      env: [TEST_PATH],
      sigmask: [],
      sigdefault: [],
      fileActions: [{ dup2: out[1], to: 1 }, { dup2: err[1], to: 2 }],
    });
    closeFd(out[1]);
    closeFd(err[1]);
    const path = `${dir}/adopted.log`;
    const adopted = stamped.adopt(child, { logFd: out[0], moreLogFds: [err[0]], logPath: path })!;
    assert.deepEqual(await adopted.exited, { code: 0 });
    for (const end = Date.now() + 15_000; stamped.logFd(child) !== null && Date.now() < end;) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(stamped.logFd(child), null, "both pipes ended");
    const lines = Deno.readTextFileSync(path).split("\n").filter((l) => l !== "");
    assert.equal(lines.length, 2);
    for (const line of lines) assert.match(line, /^\d{4}-\d\d-\d\dT[\d:.]+Z (out|err)$/);
    assert.deepEqual(lines.map((l) => l.split(" ")[1]).sort(), ["err", "out"]);
    await stamped.loop.idle();
  });
});
