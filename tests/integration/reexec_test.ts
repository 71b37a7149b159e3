/**
 * The stateful re-exec against the real daemon (docs/reexec.md): `daemon.reexec` (what
 * `telinit u` sends) with a service, a respawning service, a task in progress and a job logging
 * continuously. Afterwards: the daemon's pid and every job's pid unchanged, `initctl status`
 * right, stop, respawn after `kill -9`, events and the task's end all work, and no log line
 * was lost.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { connectSocket } from "../../protocol/client.ts";
import { readText } from "../../sys/libc.ts";
import { startTestDaemon, type TestDaemon, waitFor } from "../helpers/test_daemon.ts";

const JOBS = {
  "svc.conf": "exec sleep 1000\n",
  "resp.conf": "respawn\nexec sleep 1000\n",
  // A task in progress across the re-exec: it runs until the test lets it end (a fixed sleep
  // could end before a loaded machine gets to ask its status).
  "slow.conf": "task\nexec sh -c 'while [ ! -e \"$HOME/slow-go\" ]; do sleep 0.05; done'\n",
  "after-slow.conf": "start on stopped slow\ntask\nexec sh -c 'echo done > \"$HOME/after-slow\"'\n",
  "ping.conf": "start on ping\ntask\nexec sh -c 'echo pong > \"$HOME/pong\"'\n",
  "counter.conf":
    "exec sh -c 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); echo \"line $i\"; sleep 0.002; done'\n",
};

async function reexec(d: TestDaemon): Promise<void> {
  const client = await connectSocket(d.socket);
  try {
    await client.call("daemon.reexec", {});
  } finally {
    client.close();
  }
}

/** `initctl` once the daemon answers again (a client may have to retry once). */
async function statusOf(d: TestDaemon, job: string): Promise<string> {
  return await waitFor(`status of ${job}`, async () => {
    const r = await d.initctl("status", job);
    return r.code === 0 ? r.stdout : false;
  }, { timeoutMs: 20_000 });
}

/** The kernel's inode of the socket listening at `path` (`/proc/net/unix`), or null. */
function listeningSocket(path: string): string | null {
  // Through libc: Deno asks for --allow-all to read /proc/net.
  for (const line of (readText("/proc/net/unix") ?? "").split("\n")) {
    const fields = line.trim().split(/\s+/);
    // Num RefCount Protocol Flags Type St Inode Path; flags 00010000 is __SO_ACCEPTCON.
    if (fields[7] === path && fields[3] === "00010000") return fields[6] ?? null;
  }
  return null;
}

/** Line numbers of the counter's log: consecutive from 1, none missing or repeated. */
function assertConsecutive(text: string): number {
  const lines = text.split("\n").filter((l) => l !== "");
  lines.forEach((l, i) => assert.equal(l, `line ${i + 1}`, `log line ${i + 1}`));
  return lines.length;
}

Deno.test("re-exec keeps the daemon's pid, its jobs and their pids; everything works after", async () => {
  await using d = await startTestDaemon(JOBS);
  for (const job of ["svc", "resp", "counter"]) await d.ok("start", job);
  const started = await d.initctl("start", "--no-wait", "slow");
  assert.equal(started.code, 0, started.stderr);
  const pids: Record<string, number> = {};
  for (const job of ["svc", "resp", "counter", "slow"]) {
    const pid = await d.mainPid(job);
    assert.ok(pid !== null && pid > 0, `${job} runs`);
    pids[job] = pid;
  }
  const log = join(d.logDir, "counter.log");
  await waitFor("the counter's output", async () => {
    try {
      return (await Deno.readTextFile(log)).length > 0;
    } catch {
      return false;
    }
  });
  const daemonPid = d.daemonPid;

  await reexec(d);
  await d.waitForOutput("Re-executed", { timeoutMs: 20_000 });
  assert.equal(d.daemonPid, daemonPid);
  assert.equal(d.exitStatus, null, "the daemon did not exit");

  for (const job of ["svc", "resp", "counter"]) {
    assert.equal(await statusOf(d, job), `${job} start/running, process ${pids[job]}\n`);
  }
  assert.equal(await statusOf(d, "slow"), `slow start/running, process ${pids.slow}\n`);

  // The task ends in the new image, and its `stopped` starts what waits for it.
  await Deno.writeTextFile(join(d.home, "slow-go"), "");
  await d.waitForStatus("slow", /stop\/waiting/, { timeoutMs: 15_000 });
  await waitFor("after-slow's file", async () => {
    try {
      return (await Deno.readTextFile(join(d.home, "after-slow"))) === "done\n";
    } catch {
      return false;
    }
  });

  // Respawn after kill -9.
  Deno.kill(pids.resp!, "SIGKILL");
  await waitFor("resp respawned", async () => {
    const pid = await d.mainPid("resp");
    return pid !== null && pid !== pids.resp;
  });
  assert.match(await statusOf(d, "resp"), /^resp start\/running, process \d+\n$/);

  // Events.
  await d.ok("emit", "ping");
  assert.equal(await Deno.readTextFile(join(d.home, "pong")), "pong\n");

  // Stop.
  assert.equal(await d.ok("stop", "svc"), "svc stop/waiting\n");
  await waitFor("svc's process gone", () => {
    try {
      Deno.kill(pids.svc!, "SIGCONT");
      return false;
    } catch {
      return true;
    }
  });

  // The log went on without a gap: stop the counter, then every line is there once.
  const before = assertConsecutive(await Deno.readTextFile(log));
  await waitFor(
    "the counter's next lines",
    async () => (await Deno.readTextFile(log)).split("\n").length - 1 > before,
  );
  assert.equal(await d.ok("stop", "counter"), "counter stop/waiting\n");
  const total = assertConsecutive(await Deno.readTextFile(log));
  assert.ok(total > before, `the counter kept logging after the re-exec (${before} → ${total})`);

  // A second re-exec works as well, and the daemon still answers.
  await reexec(d);
  await waitFor("the second re-exec", () => d.output.split("Re-executed").length > 2, {
    timeoutMs: 20_000,
  });
  assert.match(await statusOf(d, "resp"), /^resp start\/running, process \d+\n$/);
  assert.equal(d.daemonPid, daemonPid);
});

Deno.test("re-exec keeps the listening control socket: the same socket file, still answering", async () => {
  await using d = await startTestDaemon({ "svc.conf": "exec sleep 1000\n" });
  await d.ok("start", "svc");
  const file = (await Deno.lstat(d.socket)).ino;
  const socket = listeningSocket(d.socket);
  assert.ok(socket !== null, "the daemon listens");
  await reexec(d);
  await d.waitForOutput("Re-executed", { timeoutMs: 20_000 });
  assert.match(await statusOf(d, "svc"), /^svc start\/running, process \d+\n$/);
  assert.equal(listeningSocket(d.socket), socket, "the same socket, taken up");
  assert.equal((await Deno.lstat(d.socket)).ino, file, "the same socket file");
});
