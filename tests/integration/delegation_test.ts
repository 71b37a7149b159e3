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

// Issue 14, item 1: `start JOB VAR=…` once passed any variable, so a user delegated `start` on a
// root job ran its own program as root through PATH, LD_PRELOAD or BASH_ENV.
Deno.test("a delegated caller passes only the variables a rule names, never unsafe ones", async (t) => {
  await using d = await startTestDaemon(
    {
      // Writes the variables it was given where the test can read them.
      "web.conf": "delegate start,stop,restart nobody\n" +
        "delegate start @nogroup env=PORT,PATH,LD_PRELOAD\n" +
        'script\n  echo "PORT=$PORT PATH=$PATH LD_PRELOAD=$LD_PRELOAD" > "$OUT"; exec sleep 60\n' +
        "end script\n",
      "inst.conf": "instance $N\ndelegate start,stop nobody env=N\nexec sleep 60\n",
    },
    { socketMode: 0o666, publicDir: true },
  );
  const out = `${d.dir}/web.out`;
  await d.ok("set-env", `OUT=${out}`);
  const nobody = (...args: string[]) => d.exec("initctl", args, { asNobody: true });
  const denied = (name: string, job = "web") => ({
    code: 1,
    stdout: "",
    stderr: `initctl: You do not have permission to pass ${name} to job: ${job}\n`,
  });

  await t.step("loader, shell and path variables are refused, named or not", async () => {
    assert.deepEqual(await nobody("start", "web", "PATH=/tmp/evil:/usr/bin:/bin"), denied("PATH"));
    assert.deepEqual(await nobody("start", "web", "LD_PRELOAD=/tmp/evil.so"), denied("LD_PRELOAD"));
    assert.deepEqual(await nobody("start", "web", "BASH_ENV=/tmp/evil"), denied("BASH_ENV"));
    assert.deepEqual(await nobody("start", "web", "PORT=1", "ENV=/tmp/e"), denied("ENV"));
    assert.deepEqual(await nobody("start", "web", "IFS=/"), denied("IFS"));
    assert.equal(await d.ok("status", "web"), "web stop/waiting\n");
  });

  await t.step("a variable no rule names for the action is refused", async () => {
    assert.deepEqual(await nobody("start", "web", "MODE=x"), denied("MODE"));
    // `env=PORT` is granted with start only: not with restart or stop.
    assert.deepEqual(await nobody("stop", "web", "PORT=1"), denied("PORT"));
  });

  await t.step("a named variable passes; plain start, restart and stop still work", async () => {
    const started = await nobody("start", "web", "PORT=8080");
    assert.equal(started.code, 0, started.stderr);
    const line = await waitForFile(out);
    assert.match(line, /^PORT=8080 PATH=\/usr\/bin:\/bin LD_PRELOAD=\n$/);
    assert.equal((await nobody("restart", "web")).code, 0);
    assert.equal((await nobody("stop", "web")).code, 0);
    assert.equal((await nobody("start", "web")).code, 0);
    assert.equal((await nobody("stop", "web")).code, 0);
  });

  await t.step("instance variables need naming too", async () => {
    assert.match((await nobody("start", "inst", "N=a")).stdout, /^inst \(a\) start\/running/);
    assert.equal((await nobody("stop", "inst", "N=a")).code, 0);
    assert.deepEqual(
      await nobody("start", "inst", "N=a", "LD_PRELOAD=/x"),
      denied("LD_PRELOAD", "inst"),
    );
  });

  await t.step("the owner passes anything", async () => {
    assert.equal((await d.initctl("start", "web", "MODE=x", "LD_LIBRARY_PATH=/opt")).code, 0);
    assert.equal((await d.initctl("stop", "web")).code, 0);
  });
});

Deno.test("a delegate rule without env= grants no variable: PATH cannot run code as root", async () => {
  // The exploit of issue 14: `sh` looks `sleep` up in the PATH the caller gave.
  await using d = await startTestDaemon(
    { "web.conf": "delegate start,restart nobody\nscript\n  sleep 60\nend script\n" },
    { socketMode: 0o666, publicDir: true },
  );
  const evil = `${d.dir}/evil`;
  await Deno.mkdir(evil);
  await Deno.writeTextFile(`${evil}/sleep`, `#!/bin/sh\nid -u > ${evil}/ran\nexec /bin/sleep 60\n`);
  await Deno.chmod(`${evil}/sleep`, 0o755);
  const nobody = (...args: string[]) => d.exec("initctl", args, { asNobody: true });
  const denied = (name: string) => ({
    code: 1,
    stdout: "",
    stderr: `initctl: You do not have permission to pass ${name} to job: web\n`,
  });
  assert.deepEqual(await nobody("start", "web", `PATH=${evil}:/usr/bin:/bin`), denied("PATH"));
  assert.deepEqual(await nobody("start", "web", "LD_PRELOAD=/tmp/e.so"), denied("LD_PRELOAD"));
  assert.deepEqual(await nobody("start", "web", "BASH_ENV=/tmp/e"), denied("BASH_ENV"));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await Deno.stat(`${evil}/ran`).then(() => true, () => false), false);
  assert.match((await nobody("start", "web")).stdout, /^web start\/running, process \d+\n$/);
  assert.match((await nobody("restart", "web")).stdout, /^web start\/running, process \d+\n$/);
  assert.equal(await d.ok("stop", "web"), "web stop/waiting\n");
});

async function waitForFile(path: string): Promise<string> {
  for (const end = Date.now() + 20_000; Date.now() < end;) {
    try {
      const text = await Deno.readTextFile(path);
      if (text.endsWith("\n")) return text;
    } catch {
      // not written yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${path} never written`);
}
