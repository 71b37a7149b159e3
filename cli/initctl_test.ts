import assert from "node:assert/strict";
import { FakeClient, runInitctl } from "./_fake_client.ts";
import type { ConnectOptions } from "./address.ts";
import { ConnectionError } from "../protocol/client.ts";
import { commandListText, COMMANDS, GROUPS } from "./command_table.ts";
import { launcherArguments, main } from "./initctl.ts";
import { RecordingOutput } from "./io.ts";

const HINT = "Try `initctl --help' for more information.\n";

Deno.test("main() without a command is a usage error", async () => {
  const r = await runInitctl([]);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, `initctl: missing command\n${HINT}`);
  assert.equal(r.stdout, "");
});

Deno.test("main() rejects unknown commands and options", async () => {
  const bogus = await runInitctl(["bogus"]);
  assert.equal(bogus.status, 1);
  assert.equal(bogus.stderr, `initctl: invalid command: bogus\n${HINT}`);
  const option = await runInitctl(["--bogus", "list"]);
  assert.equal(option.stderr, `initctl: invalid option: --bogus\n${HINT}`);
  const commandOption = await runInitctl(["-n", "start", "svc"]);
  assert.equal(commandOption.stderr, `initctl: invalid option: -n\n${HINT}`);
  const stopOption = await runInitctl(["svc", "--enumerate"], { progName: "stop" });
  assert.equal(
    stopOption.stderr,
    "stop: invalid option: --enumerate\nTry `stop --help' for more information.\n",
  );
  const json = await runInitctl(["start", "--json", "svc"]);
  assert.equal(json.stderr, `initctl: invalid option: --json\n${HINT}`);
  assert.deepEqual([...bogus.calls, ...option.calls, ...commandOption.calls, ...json.calls], []);
});

Deno.test("main() takes global options before and after the command", async () => {
  const handlers = {
    "job.status": () => ({
      status: { job: "svc", instance: "", goal: "stop" as const, state: "waiting", processes: [] },
    }),
  };
  for (
    const argv of [["-q", "status", "svc"], ["status", "svc", "-q"], [
      "--quiet",
      "--",
      "status",
      "svc",
    ]]
  ) {
    const r = await runInitctl(argv, { handlers });
    assert.equal(r.status, 0, argv.join(" "));
    assert.equal(r.stdout, "", argv.join(" "));
    assert.deepEqual(r.calls, [{ method: "job.status", params: { job: "svc", env: [] } }]);
  }
  const dashed = await runInitctl(["status", "--", "svc", "-x=1"], { handlers });
  assert.equal(dashed.status, 0);
  assert.deepEqual(dashed.calls[0]?.params, { job: "svc", env: ["-x=1"] });
  const accepted = await runInitctl([
    "-v",
    "--dest=com.ubuntu.Upstart",
    "--session",
    "status",
    "svc",
  ], {
    handlers,
  });
  assert.equal(accepted.status, 0);
});

Deno.test("main() help lists the commands by group", async () => {
  const r = await runInitctl(["help"]);
  assert.equal(r.status, 0);
  assert.equal(r.stdout, commandListText("initctl"));
  const headings = r.stdout.split("\n").filter((l) => l.endsWith(":"));
  assert.deepEqual(headings, GROUPS.map((g) => `${g}:`));
  for (const name of COMMANDS.keys()) assert.match(r.stdout, new RegExp(`^  ${name} `, "m"));
  assert.match(r.stdout, /^Job commands:\n {2}start {23}Start job\.\n/);
  assert.match(r.stdout, /For more information on a command, try `initctl COMMAND --help'\.\n$/);
});

Deno.test("main() --help shows the global usage; COMMAND --help that command's", async () => {
  const global = await runInitctl(["--help"]);
  assert.equal(global.status, 0);
  assert.match(
    global.stdout,
    /^Usage: initctl \[OPTION\]\.\.\. COMMAND \[OPTION\]\.\.\. \[ARG\]\.\.\.\n/,
  );
  assert.match(global.stdout, /^ {2}-q, --quiet {17}reduce output to errors only$/m);
  assert.match(global.stdout, /try `initctl help'\.\n$/);
  const emit = await runInitctl(["emit", "--help"]);
  assert.match(
    emit.stdout,
    /^Usage: initctl emit \[OPTION\]\.\.\. EVENT \[KEY=VALUE\]\.\.\.\nEmit an event\.\n/,
  );
  assert.match(emit.stdout, /^ {2}-n, --no-wait /m);
  const start = await runInitctl(["--help"], { progName: "start" });
  assert.match(
    start.stdout,
    /^Usage: start \[OPTION\]\.\.\. JOB \[KEY=VALUE\]\.\.\.\nStart job\.\n/,
  );
  const list = await runInitctl(["list", "--help"]);
  assert.match(list.stdout, /^Usage: initctl list \[OPTION\]\.\.\.\nList known jobs\.\n/);
  assert.deepEqual([...global.calls, ...emit.calls, ...start.calls, ...list.calls], []);
});

Deno.test("main() passes --socket, --system and --user to the connection", async () => {
  const seen: ConnectOptions[] = [];
  const client = new FakeClient({ "conf.reload": () => ({}) });
  const connect = (options: ConnectOptions) => {
    seen.push(options);
    return Promise.resolve(client);
  };
  const env = { UPSTART_SESSION: "unix:path=/u.sock" };
  const io = new RecordingOutput();
  const base = { io, progName: "initctl", env, connect, uid: 1000 };
  assert.equal(await main(["--socket", "/s.sock", "reload-configuration"], base), 0);
  assert.equal(await main(["reload-configuration", "--system"], base), 0);
  assert.equal(await main(["--user", "reload-configuration"], base), 0);
  assert.deepEqual(
    seen.map((o) => [o.socket, o.mode, o.env, o.uid]),
    [["/s.sock", "auto", env, 1000], [undefined, "system", env, 1000], [
      undefined,
      "user",
      env,
      1000,
    ]],
  );
  assert.equal(client.closed, true, "main() closes the connection it opened");
  assert.equal(client.calls.length, 3);
});

Deno.test("main() does not connect for commands that need no daemon", async () => {
  let connects = 0;
  const connect = () => {
    connects++;
    return Promise.resolve(new FakeClient());
  };
  const io = new RecordingOutput();
  await main(["help"], { io, progName: "initctl", env: {}, connect });
  await main(["--version"], { io, progName: "initctl", env: {}, connect });
  await main(["start"], { io, progName: "initctl", env: {}, connect });
  assert.equal(connects, 0);
});

Deno.test("main() prints a connection failure and exits 1", async () => {
  const io = new RecordingOutput();
  const status = await main(["list"], {
    io,
    progName: "initctl",
    env: {},
    connect: () =>
      Promise.reject(
        new ConnectionError(
          "Unable to connect to the daemon: no session found and " +
            "/run/daybreak/initctl.sock: No such file or directory",
        ),
      ),
  });
  assert.equal(status, 1);
  assert.equal(
    io.stderr,
    "initctl: Unable to connect to the daemon: no session found and " +
      "/run/daybreak/initctl.sock: No such file or directory\n",
  );
  assert.equal(io.stdout, "");
});

Deno.test("launcherArguments() splits off the launcher's hidden leading arguments", () => {
  assert.deepEqual(launcherArguments(["list"]), {
    prog: "initctl",
    livePids: null,
    args: ["list"],
  });
  const r = launcherArguments([
    "--daybreak-prog=start",
    "--daybreak-live=12,345",
    "svc",
    "--daybreak-prog=x",
  ]);
  assert.equal(r.prog, "start");
  assert.deepEqual([...r.livePids ?? []], [12, 345]);
  assert.deepEqual(r.args, ["svc", "--daybreak-prog=x"]);
  const none = launcherArguments(["--daybreak-live=", "--daybreak-prog="]);
  assert.deepEqual(none, { prog: "initctl", livePids: new Set(), args: [] });
});
