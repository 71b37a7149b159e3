/**
 * Who may do what (see docs/tools.md#conventions, docs/behaviour.md#user-session): a client running
 * as another user (uid 65534 through `setpriv`) that can reach the socket may query the daemon
 * but is refused every change with Upstart's `You do not have permission to
 * …` and exit status 1; the session owner (here root) may do everything.
 */
import assert from "node:assert/strict";
import { startTestDaemon } from "../helpers/test_daemon.ts";

Deno.test("another user may query but not change anything", async (t) => {
  await using d = await startTestDaemon(
    { "foo.conf": 'usage "start foo"\nexec sleep 60\n', "idle.conf": "exec sleep 60\n" },
    { socketMode: 0o666, publicDir: true },
  );
  const running = await d.ok("start", "foo");
  const nobody = (...args: string[]) => d.exec("initctl", args, { asNobody: true });

  await t.step("queries work", async () => {
    const queries: [string[], string][] = [
      [["list"], `${running}idle stop/waiting\n`],
      [["status", "foo"], running],
      [["show-config", "idle"], "idle\n"],
      [["check-config"], ""],
      [["usage", "foo"], "Usage: start foo\n"],
      [["get-env", "PATH"], "/usr/bin:/bin\n"],
      [["log-priority"], "message\n"],
    ];
    for (const [args, stdout] of queries) {
      assert.deepEqual(await nobody(...args), { code: 0, stdout, stderr: "" }, args.join(" "));
    }
    const version = await nobody("version");
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^init \(upstart 1\.13\.2\)\n/);
    const env = await nobody("list-env");
    assert.equal(env.code, 0);
    assert.ok(env.stdout.includes("PATH=/usr/bin:/bin\n"));
  });

  await t.step("changes are refused", async () => {
    const job = "You do not have permission to modify job: ";
    const envText = "You do not have permission to modify job environment";
    const refused: [string[], string][] = [
      [["start", "idle"], `${job}idle`],
      [["stop", "foo"], `${job}foo`],
      [["restart", "foo"], `${job}foo`],
      [["reload", "foo"], `${job}foo`],
      [["emit", "go"], "You do not have permission to emit an event"],
      [["emit", "-n", "go"], "You do not have permission to emit an event"],
      [["set-env", "A=1"], envText],
      [["unset-env", "PATH"], envText],
      [["reset-env"], envText],
      [["reload-configuration"], "You do not have permission to reload configuration"],
      [["log-priority", "debug"], "You do not have permission to set log priority"],
      [["notify-disk-writeable"], "You do not have permission to notify disk is writeable"],
    ];
    for (const [args, message] of refused) {
      assert.deepEqual(
        await nobody(...args),
        { code: 1, stdout: "", stderr: `initctl: ${message}\n` },
        args.join(" "),
      );
    }
    const shortcut = await d.exec("stop", ["foo"], { asNobody: true });
    assert.deepEqual(shortcut, { code: 1, stdout: "", stderr: `stop: ${job}foo\n` });
  });

  await t.step("nothing changed", async () => {
    assert.equal(await d.ok("list"), `${running}idle stop/waiting\n`);
    assert.equal(await d.ok("get-env", "PATH"), "/usr/bin:/bin\n");
    assert.equal(await d.ok("log-priority"), "message\n");
  });

  await t.step("the owner may change things", async () => {
    assert.equal(await d.ok("stop", "foo"), "foo stop/waiting\n");
    assert.equal(await d.ok("set-env", "A=1"), "");
    assert.equal(await d.ok("get-env", "A"), "1\n");
    // Issue 14, item 6: others no longer read values of the session environment (PATH and
    // TERM excepted); this line used to expect nobody to read "1".
    assert.equal((await nobody("get-env", "A")).stdout, "");
  });
});

Deno.test("with the default 0600 socket another user cannot connect at all", async () => {
  await using d = await startTestDaemon({ "foo.conf": "exec sleep 60\n" }, { publicDir: true });
  assert.equal(((await Deno.stat(d.socket)).mode ?? 0) & 0o777, 0o600);
  const r = await d.exec("initctl", ["list"], { asNobody: true });
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^initctl: .*[Pp]ermission denied/);
  assert.equal(await d.ok("list"), "foo stop/waiting\n");
});
