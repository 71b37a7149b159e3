/**
 * `expect fork` and `expect daemon` with real forking programs (see docs/behaviour.md#expect,
 * docs/behaviour.md#fix-expect): `status` shows the pid of the process that survives the
 * forks, and `stop` ends that process.
 */
import assert from "node:assert/strict";
import { cmdline, isAlive, startTestDaemon, waitFor } from "../helpers/test_daemon.ts";

const PERL_FORK = `perl -e 'fork and exit; exec "sleep", "300"'`;
const PERL_DAEMON =
  `perl -MPOSIX -e 'fork and exit; POSIX::setsid(); fork and exit; exec "sleep", "301"'`;

/** Starts JOB, checks the tracked pid runs `sleep SECONDS`, stops it, checks it is gone. */
async function startTrackStop(
  d: Awaited<ReturnType<typeof startTestDaemon>>,
  job: string,
  seconds: string,
) {
  const started = await d.ok("start", job);
  const m = new RegExp(`^${job} start/running, process (\\d+)\\n$`).exec(started);
  assert.ok(m, started);
  const pid = Number(m[1]);
  // The job settles when the last fork happens (as Upstart's does); the survivor may still be
  // a moment away from exec'ing `sleep`, so give it a bounded while.
  const argv = await waitFor(
    `pid ${pid} to exec sleep`,
    () => {
      const a = cmdline(pid);
      return /(^|\/)sleep$/.test(a[0] ?? "") ? a : false;
    },
    { timeoutMs: 20_000 },
  ).catch(() => cmdline(pid));
  assert.match(argv[0] ?? "", /(^|\/)sleep$/, `tracked pid ${pid} runs ${argv.join(" ")}`);
  assert.equal(argv[1], seconds);
  assert.equal(await d.ok("status", job), started);
  assert.equal(await d.ok("stop", job), `${job} stop/waiting\n`);
  assert.equal(isAlive(pid), false, `pid ${pid} survived stop`);
  assert.deepEqual(d.markedPids(), []);
}

Deno.test("expect fork tracks the child of a shell that backgrounds and exits", async () => {
  await using d = await startTestDaemon({
    "bg.conf": "expect fork\nexec sh -c 'sleep 300 & exit 0'\n",
  });
  await startTrackStop(d, "bg", "300");
});

Deno.test("expect fork tracks the child of a program that forks once", async () => {
  await using d = await startTestDaemon({ "pf.conf": `expect fork\nexec ${PERL_FORK}\n` });
  await startTrackStop(d, "pf", "300");
});

Deno.test("expect daemon tracks the grandchild of a subshell trick", async () => {
  await using d = await startTestDaemon({
    "sub.conf": "expect daemon\nexec sh -c '(setsid sleep 302 &); exit 0'\n",
  });
  await startTrackStop(d, "sub", "302");
});

Deno.test("expect daemon tracks a double-forking, setsid-calling program", async () => {
  await using d = await startTestDaemon({ "pd.conf": `expect daemon\nexec ${PERL_DAEMON}\n` });
  await startTrackStop(d, "pd", "301");
});

Deno.test("expect daemon tracks start-stop-daemon --background", async () => {
  await using d = await startTestDaemon({
    // The pid file keeps start-stop-daemon from refusing because some other `sleep` runs.
    "ssd.conf": "expect daemon\n" +
      "exec /sbin/start-stop-daemon --start --background --make-pidfile " +
      '--pidfile "$HOME/ssd.pid" --exec /bin/sleep -- 303\n',
  });
  await startTrackStop(d, "ssd", "303");
});

Deno.test("a tracked daemon that dies is noticed and the job stops", async () => {
  await using d = await startTestDaemon({ "pd.conf": `expect daemon\nexec ${PERL_DAEMON}\n` });
  const started = await d.ok("start", "pd");
  const pid = Number(/process (\d+)/.exec(started)?.[1]);
  Deno.kill(pid, "SIGKILL");
  await d.waitForStatus("pd", /^pd stop\/waiting\n$/);
  await d.waitForOutput(`pd main process (${pid}) killed by KILL signal`);
});

Deno.test("expect stop waits for the process to stop itself, then continues it", async () => {
  await using d = await startTestDaemon({
    "stopper.conf": "expect stop\nexec sh -c 'kill -STOP $$; exec sleep 305'\n",
  });
  await startTrackStop(d, "stopper", "305");
});

Deno.test("orphans that job processes leave behind are reaped by the daemon", async () => {
  const orphans = "for i in 1 2 3 4 5 6 7 8; do (sleep 0.1 &); done";
  await using d = await startTestDaemon({
    "svc.conf": `exec sh -c '${orphans}; exec sleep 60'\n`,
    "task.conf": `task\nexec sh -c '${orphans}'\n`,
  });
  await d.ok("start", "svc");
  await d.ok("start", "task");
  await waitFor("the orphans to end", () => d.markedPids().length === 1);
  await d.assertNoZombies();
  await d.ok("stop", "svc");
});
