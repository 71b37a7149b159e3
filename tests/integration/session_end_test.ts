/**
 * Ending the session (see docs/behaviour.md#user-session): on SIGTERM the daemon emits
 * `session-end TYPE=shutdown`, stops every job within the kill timeout,
 * kills what is still alive (hooks, escaped daemons), removes its session
 * file and socket, and exits 0 leaving no process behind.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { isAlive, startTestDaemon, waitFor } from "../helpers/test_daemon.ts";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("SIGTERM runs session-end jobs, stops and kills everything, exits 0", async () => {
  await using d = await startTestDaemon({
    "end.conf": "start on session-end\ntask\nkill timeout 1\n" +
      'exec sh -c \'echo "$TYPE $UPSTART_EVENTS" > "$HOME/end"\'\n',
    "svc.conf": "kill timeout 1\nexec sleep 60\n",
    "stubborn.conf": "kill timeout 1\nexec sh -c 'trap \"\" TERM; while :; do sleep 0.1; done'\n",
    "hook.conf": "kill timeout 1\npre-start exec sleep 300\nexec sleep 60\n",
    "escape.conf": "kill timeout 1\nexec sh -c 'setsid sleep 304 & exec sleep 60'\n",
  });
  await d.ok("start", "svc");
  await d.ok("start", "stubborn");
  await d.ok("start", "escape");
  await d.ok("start", "-n", "hook");
  await d.waitForStatus("hook", /^hook start\/pre-start, process \d+\n$/);
  const before = d.markedPids();
  assert.ok(before.length >= 5, `only ${before.length} job processes`);
  await d.assertNoZombies();

  const { status, ms } = await d.terminate();
  assert.equal(status.code, 0, d.output);
  // One kill timeout (1 s) for the stubborn job and the hook, plus the final sweep.
  assert.ok(ms < 4000, `session end took ${Math.round(ms)} ms`);
  // Hook processes are not stopped by a goal change: reported, then killed (see
  // docs/behaviour.md#user-session, docs/behaviour.md#fix-shutdown).
  assert.match(d.output, /job hook failed to stop/);
  assert.deepEqual(before.filter(isAlive), []);
  assert.deepEqual(d.markedPids(), []);
  assert.equal(await Deno.readTextFile(join(d.home, "end")), "shutdown session-end\n");
  assert.equal(await exists(d.sessionFile), false, "session file left");
  assert.equal(await exists(d.socket), false, "socket left");
});

Deno.test("SIGTERM with nothing running ends the session at once", async () => {
  await using d = await startTestDaemon({ "svc.conf": "exec sleep 60\n" });
  await d.ok("start", "svc");
  await d.ok("stop", "svc");
  const { status, ms } = await d.terminate();
  assert.equal(status.code, 0);
  assert.ok(ms < 1500, `session end took ${Math.round(ms)} ms`);
  assert.equal(await exists(d.sessionFile), false);
  assert.deepEqual(await d.initctl("list"), {
    code: 1,
    stdout: "",
    stderr: `initctl: Unable to connect to the daemon: ${d.socket}: No such file or directory\n`,
  });
});

Deno.test("SIGINT ends a user session too", async () => {
  await using d = await startTestDaemon({ "svc.conf": "exec sleep 60\n" });
  const pid = Number(/process (\d+)/.exec(await d.ok("start", "svc"))?.[1]);
  assert.ok(isAlive(pid));
  Deno.kill(d.daemonPid, "SIGINT");
  await waitFor("the daemon to exit", () => d.exitStatus !== null);
  assert.equal(d.exitStatus?.code, 0);
  assert.equal(isAlive(pid), false);
});
