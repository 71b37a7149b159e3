/**
 * `version`, `--version`, `log-priority`, `list-sessions`, `usage`, `help`
 * and the `--json` outputs against the real daemon (see docs/tools.md#event-and-config-commands,
 * docs/behaviour.md#user-session).
 */
import assert from "node:assert/strict";
import { ROOT, startTestDaemon } from "../helpers/test_daemon.ts";

const VERSION = JSON.parse(
  await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
).version as string;

Deno.test("version asks the daemon; --version answers locally", async () => {
  await using d = await startTestDaemon();
  assert.equal(await d.ok("version"), `init (upstart 1.13.2)\ndaybreak ${VERSION}\n`);
  assert.equal(await d.ok("--version"), `initctl (upstart 1.13.2)\ndaybreak ${VERSION}\n`);
  const status = await d.run("status", "--version");
  assert.deepEqual(status, {
    code: 0,
    stdout: `status (upstart 1.13.2)\ndaybreak ${VERSION}\n`,
    stderr: "",
  });
});

Deno.test("log-priority prints, sets and validates the daemon's priority", async () => {
  await using d = await startTestDaemon({ "foo.conf": "exec sleep 60\n" });
  assert.equal(await d.ok("log-priority"), "message\n");
  assert.equal(await d.ok("log-priority", "info"), "");
  assert.equal(await d.ok("log-priority"), "info\n");
  // Info-level lines now reach the daemon's output (see docs/behaviour.md#states,
  // docs/behaviour.md#daemon-log).
  await d.ok("start", "foo");
  await d.waitForOutput("foo goal changed from stop to start");
  await d.waitForOutput("foo state changed from waiting to starting");
  assert.deepEqual(await d.initctl("log-priority", "loud"), {
    code: 1,
    stdout: "",
    stderr: "initctl: The log priority given was not recognised\n",
  });
  assert.equal(await d.ok("log-priority"), "info\n");
  await d.ok("stop", "foo");
});

Deno.test("list-sessions prints the live daemon from the session file", async () => {
  await using d = await startTestDaemon();
  const address = `unix:path=${d.socket}`;
  assert.equal(await Deno.readTextFile(d.sessionFile), `UPSTART_SESSION=${address}\n`);
  assert.equal(await d.ok("list-sessions"), `${d.daemonPid} ${address}\n`);
  // A stale file of a dead daemon is skipped.
  await Deno.writeTextFile(
    d.sessionFile.replace(/\d+\.session$/, "999999999.session"),
    "UPSTART_SESSION=unix:path=/nonexistent\n",
  );
  assert.equal(await d.ok("list-sessions"), `${d.daemonPid} ${address}\n`);
  // initctl finds the daemon through UPSTART_SESSION alone.
  const r = await d.exec("initctl", ["version"], {
    socket: false,
    env: { UPSTART_SESSION: address },
  });
  assert.deepEqual(r, {
    code: 0,
    stdout: `init (upstart 1.13.2)\ndaybreak ${VERSION}\n`,
    stderr: "",
  });
  const none = await d.exec("initctl", ["list-sessions"], {
    socket: false,
    env: { XDG_RUNTIME_DIR: "" },
  });
  assert.deepEqual(none, {
    code: 1,
    stdout: "",
    stderr: "initctl: Unable to query session directory\n",
  });
});

Deno.test("usage prints the job's usage line, or `Usage: ` alone", async () => {
  await using d = await startTestDaemon({
    "worker.conf": 'usage "start worker QUEUE=name"\ninstance $QUEUE\nexec sleep 60\n',
    "plain.conf": "exec sleep 60\n",
  });
  assert.equal(await d.ok("usage", "worker"), "Usage: start worker QUEUE=name\n");
  assert.equal(await d.ok("usage", "plain"), "Usage: \n");
  assert.deepEqual(await d.initctl("usage", "nosuch"), {
    code: 1,
    stdout: "",
    stderr: "initctl: Unknown job: nosuch\n",
  });
});

Deno.test("help lists the commands by group without a daemon", async () => {
  const r = await (async () => {
    await using d = await startTestDaemon();
    return await d.exec("initctl", ["help"], { socket: false });
  })();
  assert.equal(r.code, 0);
  assert.equal(r.stderr, "");
  const groups = r.stdout.split("\n").filter((l) => /^[A-Z].*:$/.test(l));
  assert.deepEqual(groups, [
    "Job commands:",
    "Event commands:",
    "Environment commands:",
    "Other commands:",
  ]);
  for (const cmd of ["start", "emit", "set-env", "reload-configuration", "show-config"]) {
    assert.match(r.stdout, new RegExp(`^  ${cmd} +[A-Za-z]`, "m"));
  }
});

Deno.test("--json prints one parseable document per query", async () => {
  await using d = await startTestDaemon({
    "foo.conf": "start on done\nemits done\nexec sleep 60\n",
    "cc.conf": "start on nothing\n",
  });
  const json = async (...args: string[]) => JSON.parse(await d.ok(...args, "--json"));
  const pid = Number(/process (\d+)/.exec(await d.ok("start", "foo"))?.[1]);

  const status = await json("status", "foo");
  assert.deepEqual(status, {
    job: "foo",
    instance: "",
    goal: "start",
    state: "running",
    processes: [{ process: "main", pid }],
  });
  assert.deepEqual(await json("list"), {
    jobs: [{ job: "cc", instances: [] }, { job: "foo", instances: [status] }],
  });
  const shown = await json("show-config", "foo");
  assert.equal(shown.jobs.length, 1);
  assert.equal(shown.jobs[0].name, "foo");
  assert.deepEqual(shown.jobs[0].emits, ["done"]);
  assert.equal(shown.jobs[0].startOn.kind, "match");
  assert.equal(shown.jobs[0].startOn.event, "done");

  const check = await d.initctl("check-config", "--json");
  assert.equal(check.code, 1);
  assert.deepEqual(JSON.parse(check.stdout), {
    jobs: [{ job: "cc", problems: ["start on: unknown event nothing"] }],
    files: [],
  });
  const version = await json("version");
  assert.equal(version.upstart, "1.13.2");
  assert.equal(version.daybreak, VERSION);
  assert.deepEqual(await json("log-priority"), { priority: "message" });
  await d.ok("set-env", "J=1");
  assert.deepEqual(await json("get-env", "J"), { name: "J", value: "1" });
  const env = await json("list-env");
  assert.ok(env.env.includes("J=1"));
  const sessions = await json("list-sessions");
  assert.deepEqual(sessions.sessions.map((s: { pid: number }) => s.pid), [d.daemonPid]);
  await d.ok("stop", "foo");
});

Deno.test("notify-disk-writeable is accepted silently", async () => {
  await using d = await startTestDaemon();
  assert.deepEqual(await d.initctl("notify-disk-writeable"), { code: 0, stdout: "", stderr: "" });
});

Deno.test("--help prints usage for initctl, a command and a shortcut", async () => {
  await using d = await startTestDaemon();
  const main = await d.initctl("--help");
  assert.equal(main.code, 0);
  assert.match(
    main.stdout,
    /^Usage: initctl \[OPTION\]\.\.\. COMMAND \[OPTION\]\.\.\. \[ARG\]\.\.\.\n/,
  );
  const start = await d.initctl("start", "--help");
  assert.equal(start.code, 0);
  assert.match(
    start.stdout,
    /^Usage: initctl start \[OPTION\]\.\.\. JOB \[KEY=VALUE\]\.\.\.\nStart job\.\n/,
  );
  const shortcut = await d.run("stop", "--help");
  assert.equal(shortcut.code, 0);
  assert.match(
    shortcut.stdout,
    /^Usage: stop \[OPTION\]\.\.\. JOB \[KEY=VALUE\]\.\.\.\nStop job\.\n/,
  );
  assert.deepEqual(await d.initctl("start", "--bogus"), {
    code: 1,
    stdout: "",
    stderr: "initctl: invalid option: --bogus\nTry `initctl --help' for more information.\n",
  });
});

Deno.test("init --version, --help and a bad option value", async () => {
  const init = async (...args: string[]) => {
    const out = await new Deno.Command(`${ROOT}bin/init`, {
      args,
      clearEnv: true,
      env: { PATH: "/usr/bin:/bin" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  };
  assert.deepEqual(await init("--version"), {
    code: 0,
    stdout: `init (upstart 1.13.2)\ndaybreak ${VERSION}\n`,
    stderr: "",
  });
  const help = await init("--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: init \[OPTION\]\.\.\.\n/);
  assert.deepEqual(await init("--user", "--default-console", "loud"), {
    code: 1,
    stdout: "",
    stderr: "init: Invalid default console value: loud\n",
  });
});
