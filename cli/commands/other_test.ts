import assert from "node:assert/strict";
import { join } from "node:path";
import { rpcError, runInitctl } from "../_fake_client.ts";
import { sessionFileContent } from "../../protocol/addresses.ts";

const projectVersion = (JSON.parse(
  await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
) as { version: string }).version;

Deno.test("version prints the daemon's init line, then daybreak's version", async () => {
  const handlers = {
    "daemon.version": () => ({ upstart: "1.13.2", daybreak: "9.8.7", protocol: 1 }),
  };
  const r = await runInitctl(["version"], { handlers });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, "init (upstart 1.13.2)\ndaybreak 9.8.7\n");
  const json = await runInitctl(["version", "--json"], { handlers });
  assert.deepEqual(JSON.parse(json.stdout), { upstart: "1.13.2", daybreak: "9.8.7", protocol: 1 });
});

Deno.test("--version prints the program's own version without the daemon", async () => {
  const r = await runInitctl(["--version"]);
  assert.equal(r.status, 0);
  assert.equal(r.stdout, `initctl (upstart 1.13.2)\ndaybreak ${projectVersion}\n`);
  assert.deepEqual(r.calls, []);
  const start = await runInitctl(["--version"], { progName: "start" });
  assert.equal(start.stdout.split("\n")[0], "start (upstart 1.13.2)");
});

Deno.test("log-priority prints the priority, or sets it silently", async () => {
  const get = await runInitctl(["log-priority"], {
    handlers: { "daemon.logPriority": () => ({ priority: "message" }) },
  });
  assert.equal(get.stdout, "message\n");
  assert.deepEqual(get.calls, [{ method: "daemon.logPriority", params: {} }]);
  const set = await runInitctl(["log-priority", "debug"], {
    handlers: { "daemon.logPriority": (p) => ({ priority: p?.priority ?? "message" }) },
  });
  assert.equal(set.status, 0);
  assert.equal(set.stdout, "");
  assert.deepEqual(set.calls, [{ method: "daemon.logPriority", params: { priority: "debug" } }]);
  const json = await runInitctl(["log-priority", "--json"], {
    handlers: { "daemon.logPriority": () => ({ priority: "warn" }) },
  });
  assert.deepEqual(JSON.parse(json.stdout), { priority: "warn" });
  const bad = await runInitctl(["log-priority", "loud"], {
    handlers: {
      "daemon.logPriority": () => {
        throw rpcError("InvalidPriority", "The log priority given was not recognised");
      },
    },
  });
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr, "initctl: The log priority given was not recognised\n");
});

Deno.test("notify-disk-writeable asks the daemon and prints nothing", async () => {
  const r = await runInitctl(["notify-disk-writeable"], {
    handlers: { "daemon.notifyDiskWriteable": () => ({}) },
  });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, "");
  assert.deepEqual(r.calls, [{ method: "daemon.notifyDiskWriteable", params: {} }]);
});

Deno.test("list-sessions prints live sessions from the session directory", async () => {
  const runtime = await Deno.makeTempDir();
  try {
    const dir = join(runtime, "upstart", "sessions");
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(join(dir, "300.session"), sessionFileContent("/run/c.sock"));
    await Deno.writeTextFile(join(dir, "20.session"), "UPSTART_SESSION=unix:abstract=/x/20");
    await Deno.writeTextFile(join(dir, "21.session"), "SOMETHING=else\n");
    await Deno.writeTextFile(join(dir, "99.session"), sessionFileContent("/run/dead.sock"));
    await Deno.writeTextFile(join(dir, "notes.txt"), "UPSTART_SESSION=unix:path=/x\n");
    const alive = new Set([300, 20, 21]);
    const r = await runInitctl(["list-sessions"], {
      env: { XDG_RUNTIME_DIR: runtime },
      isPidAlive: (pid) => alive.has(pid),
    });
    assert.equal(r.status, 0);
    assert.equal(r.stdout, "20 unix:abstract=/x/20\n300 unix:path=/run/c.sock\n");
    assert.deepEqual(r.calls, []);
    const json = await runInitctl(["list-sessions", "--json"], {
      env: { XDG_RUNTIME_DIR: runtime },
      isPidAlive: (pid) => alive.has(pid),
    });
    assert.deepEqual(JSON.parse(json.stdout), {
      sessions: [
        { pid: 20, address: "unix:abstract=/x/20", socket: null },
        { pid: 300, address: "unix:path=/run/c.sock", socket: "/run/c.sock" },
      ],
    });
  } finally {
    await Deno.remove(runtime, { recursive: true });
  }
});

Deno.test("list-sessions prints nothing when the directory does not exist", async () => {
  const runtime = await Deno.makeTempDir();
  try {
    const r = await runInitctl(["list-sessions"], { env: { XDG_RUNTIME_DIR: runtime } });
    assert.equal(r.status, 0);
    assert.equal(r.stdout, "");
  } finally {
    await Deno.remove(runtime, { recursive: true });
  }
});

Deno.test("list-sessions without XDG_RUNTIME_DIR cannot query the session directory", async () => {
  const r = await runInitctl(["list-sessions"]);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, "initctl: Unable to query session directory\n");
});
