/**
 * End-to-end tests of the socket client through the real launchers
 * (`bin/initctl`, `bin/start`) against `testdata/fake_daemon.ts`: framing,
 * error answers, broken connections, discovery and the launcher's
 * permissions. Both sides run as subprocesses because a unix socket needs
 * net permission, which the unit-test run does not grant.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { sessionFileContent } from "../protocol/addresses.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const DAEMON = join(ROOT, "cli", "testdata", "fake_daemon.ts");

interface FakeDaemon extends AsyncDisposable {
  readonly socket: string;
  readonly pid: number;
  readonly dir: string;
}

async function startDaemon(mode: string, socketName = "d.sock"): Promise<FakeDaemon> {
  const dir = await Deno.makeTempDir();
  const socket = join(dir, socketName);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-read", "--allow-write", "--allow-net", DAEMON, socket, mode],
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  assert.equal(new TextDecoder().decode(value), "ready\n");
  reader.releaseLock();
  await child.stdout.cancel();
  return {
    socket,
    pid: child.pid,
    dir,
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function run(
  launcher: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(join(ROOT, "bin", launcher), {
    args,
    clearEnv: true,
    env: { PATH: "/usr/bin:/bin", ...env },
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("bin/initctl talks JSON-RPC over --socket", async () => {
  await using d = await startDaemon("normal");
  const r = await run("initctl", ["--socket", d.socket, "version"]);
  assert.deepEqual(r, {
    code: 0,
    stdout: "init (upstart 1.13.2)\ndaybreak 0.1.0-fake\n",
    stderr: "",
  });
  const eq = await run("initctl", ["version", `--socket=${d.socket}`]);
  assert.equal(eq.code, 0);
});

Deno.test("bin/initctl sends the params the command built", async () => {
  await using d = await startDaemon("normal");
  const r = await run("initctl", ["--socket", d.socket, "usage", "inst"]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, 'Usage: {"job":"inst"}\n');
});

Deno.test("bin/initctl reassembles an answer delivered in small pieces", async () => {
  await using d = await startDaemon("chunked");
  const r = await run("initctl", ["--socket", d.socket, "list"]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 500);
  assert.equal(lines[0], "job000 start/running, process 1499");
  assert.equal(lines[1], "job001 stop/waiting");
  assert.equal(lines[499], "job499 stop/waiting");
});

Deno.test("bin/initctl prints an error answer and exits 1", async () => {
  await using d = await startDaemon("normal");
  const r = await run("initctl", ["--socket", d.socket, "status", "nosuch"]);
  assert.deepEqual(r, { code: 1, stdout: "", stderr: "initctl: Unknown job: nosuch\n" });
});

Deno.test("bin/start runs as `initctl start` under its own name", async () => {
  await using d = await startDaemon("normal");
  const env = { UPSTART_SESSION: `unix:path=${d.socket}` };
  const r = await run("start", ["svc"], env);
  assert.deepEqual(r, { code: 0, stdout: "svc start/running, process 42\n", stderr: "" });
  const bad = await run("start", ["nosuch"], env);
  assert.deepEqual(bad, { code: 1, stdout: "", stderr: "start: Unknown job: nosuch\n" });
  const usage = await run("status", [], env);
  assert.equal(
    usage.stderr,
    "status: missing job name\nTry `status --help' for more information.\n",
  );
});

Deno.test("bin/initctl inside a job sends its own instance", async () => {
  await using d = await startDaemon("normal");
  const r = await run("status", [], {
    UPSTART_SESSION: d.socket,
    UPSTART_JOB: "me",
    UPSTART_INSTANCE: "i1",
  });
  assert.deepEqual(r, { code: 0, stdout: "me (i1) start/running, process 42\n", stderr: "" });
});

Deno.test("bin/initctl reports a daemon that hangs up or answers garbage", async () => {
  {
    await using d = await startDaemon("hangup");
    const r = await run("initctl", ["--socket", d.socket, "version"]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "initctl: The daemon closed the connection before answering\n");
  }
  {
    await using d = await startDaemon("garbage");
    const r = await run("initctl", ["--socket", d.socket, "version"]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "initctl: The daemon sent a malformed answer\n");
  }
});

Deno.test("bin/initctl names the socket that does not answer", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const socket = join(dir, "none.sock");
    const r = await run("initctl", ["--socket", socket, "list"]);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: `initctl: Unable to connect to the daemon: ${socket}: No such file or directory\n`,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bin/initctl --user finds the session announced in XDG_RUNTIME_DIR", async () => {
  await using d = await startDaemon("normal");
  const sessions = join(d.dir, "upstart", "sessions");
  await Deno.mkdir(sessions, { recursive: true });
  await Deno.writeTextFile(join(sessions, `${d.pid}.session`), sessionFileContent(d.socket));
  const env = { XDG_RUNTIME_DIR: d.dir };
  const r = await run("initctl", ["--user", "version"], env);
  assert.equal(r.stderr, "");
  assert.equal(r.code, 0);
  const listed = await run("initctl", ["list-sessions"], env);
  assert.equal(listed.stdout, `${d.pid} unix:path=${d.socket}\n`);
});

Deno.test("bin/initctl explains a socket its launcher could not grant", async () => {
  await using d = await startDaemon("normal", "a,b.sock");
  const r = await run("initctl", ["--socket", d.socket, "version"]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    `initctl: Unable to connect to the daemon: ${d.socket}: not allowed by the launcher's permissions\n`,
  );
});
