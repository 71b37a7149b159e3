/**
 * Delegated control (a daybreak extension): a job's `delegate` stanzas let
 * named users and groups start, stop, restart or reload exactly that job. A
 * client running as uid 65534 (`nobody`, group `nogroup`) through `setpriv`
 * may control what is delegated to it and gets Upstart's permission error
 * for everything else.
 */
import assert from "node:assert/strict";
import { startTestDaemon } from "../helpers/test_daemon.ts";

Deno.test("a user controls exactly the jobs and actions delegated to it", async (t) => {
  await using d = await startTestDaemon(
    {
      "mine.conf": "delegate start,stop nobody\nexec sleep 60\n",
      // Ignores SIGHUP, so that `reload` leaves it running.
      "team.conf": "delegate all @nogroup\nexec sh -c 'trap \"\" HUP; exec sleep 60'\n",
      "other.conf": "delegate all root @root\nexec sleep 60\n",
      "plain.conf": "exec sleep 60\n",
    },
    { socketMode: 0o666, publicDir: true },
  );
  const nobody = (...args: string[]) => d.exec("initctl", args, { asNobody: true });
  const denied = (job: string) => ({
    code: 1,
    stdout: "",
    stderr: `initctl: You do not have permission to modify job: ${job}\n`,
  });

  await t.step("delegated to the user by name: start and stop, nothing else", async () => {
    const started = await nobody("start", "mine");
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /^mine start\/running, process \d+\n$/);
    assert.deepEqual(await nobody("restart", "mine"), denied("mine"));
    assert.deepEqual(await nobody("reload", "mine"), denied("mine"));
    assert.deepEqual(await nobody("stop", "mine"), {
      code: 0,
      stdout: "mine stop/waiting\n",
      stderr: "",
    });
  });

  await t.step("delegated to the user's group: every action", async () => {
    assert.equal((await nobody("start", "team")).code, 0);
    assert.equal((await nobody("restart", "team")).code, 0);
    assert.equal((await nobody("reload", "team")).code, 0);
    assert.equal((await nobody("stop", "team")).code, 0);
  });

  await t.step("delegated to others, or not at all: refused", async () => {
    assert.deepEqual(await nobody("start", "other"), denied("other"));
    assert.deepEqual(await nobody("start", "plain"), denied("plain"));
    assert.deepEqual(await nobody("emit", "go"), {
      code: 1,
      stdout: "",
      stderr: "initctl: You do not have permission to emit an event\n",
    });
  });

  await t.step("the owner still controls everything", async () => {
    assert.match(await d.ok("start", "plain"), /^plain start\/running/);
    assert.equal(await d.ok("stop", "plain"), "plain stop/waiting\n");
  });
});
