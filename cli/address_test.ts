import assert from "node:assert/strict";
import { join } from "node:path";
import { sessionFileContent, SYSTEM_SOCKET } from "../protocol/addresses.ts";
import { FakeClient } from "./_fake_client.ts";
import { connectDaemon, type ConnectOptions, findSessions, NO_SESSION_MESSAGE } from "./address.ts";
import { ConnectionError, type RpcClient } from "../protocol/client.ts";

/** A connector that answers on `live` paths only and records every attempt. */
function connector(live: string[]) {
  const tried: string[] = [];
  const connect = (path: string): Promise<RpcClient> => {
    tried.push(path);
    return live.includes(path)
      ? Promise.resolve(Object.assign(new FakeClient(), { path }))
      : Promise.reject(new ConnectionError(`${path}: No such file or directory`, path));
  };
  return { tried, connect };
}

async function withSessions(
  files: Record<string, string>,
  fn: (runtime: string) => Promise<void>,
): Promise<void> {
  const runtime = await Deno.makeTempDir();
  try {
    const dir = join(runtime, "upstart", "sessions");
    await Deno.mkdir(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(join(dir, name), text);
    }
    await fn(runtime);
  } finally {
    await Deno.remove(runtime, { recursive: true });
  }
}

async function connectError(options: ConnectOptions): Promise<string> {
  const error = await connectDaemon(options).then(() => null, (e: unknown) => e);
  assert.ok(error instanceof ConnectionError, `expected a ConnectionError, got ${error}`);
  return error.message;
}

Deno.test("connectDaemon() uses --socket and nothing else", async () => {
  const ok = connector(["/s.sock"]);
  const client = await connectDaemon({
    socket: "/s.sock",
    env: {},
    uid: 1000,
    connect: ok.connect,
  });
  assert.equal((client as FakeClient & { path: string }).path, "/s.sock");
  const bad = connector([SYSTEM_SOCKET]);
  assert.equal(
    await connectError({
      socket: "/gone.sock",
      env: { UPSTART_SESSION: `unix:path=${SYSTEM_SOCKET}` },
      uid: 0,
      connect: bad.connect,
    }),
    "Unable to connect to the daemon: /gone.sock: No such file or directory",
  );
  assert.deepEqual(bad.tried, ["/gone.sock"]);
});

Deno.test("connectDaemon() uses UPSTART_SESSION without falling back", async () => {
  const ok = connector(["/u.sock"]);
  await connectDaemon({
    env: { UPSTART_SESSION: "unix:path=/u.sock" },
    uid: 0,
    connect: ok.connect,
  });
  await connectDaemon({ env: { UPSTART_SESSION: "/u.sock" }, uid: 0, connect: ok.connect });
  assert.deepEqual(ok.tried, ["/u.sock", "/u.sock"]);
  const dead = connector([SYSTEM_SOCKET]);
  assert.equal(
    await connectError({
      env: { UPSTART_SESSION: "unix:path=/dead.sock" },
      uid: 1000,
      connect: dead.connect,
    }),
    "Unable to connect to the daemon: /dead.sock: No such file or directory",
  );
  assert.deepEqual(dead.tried, ["/dead.sock"]);
  assert.equal(
    await connectError({
      env: { UPSTART_SESSION: "unix:abstract=/com/ubuntu/upstart-session/1000/9" },
      uid: 1000,
      connect: dead.connect,
    }),
    "Unable to connect to the daemon: UPSTART_SESSION names no socket: " +
      "unix:abstract=/com/ubuntu/upstart-session/1000/9",
  );
});

Deno.test("connectDaemon() --system ignores UPSTART_SESSION and sessions", async () => {
  const c = connector([SYSTEM_SOCKET, "/u.sock"]);
  await connectDaemon({
    mode: "system",
    env: { UPSTART_SESSION: "unix:path=/u.sock" },
    uid: 1000,
    connect: c.connect,
  });
  assert.deepEqual(c.tried, [SYSTEM_SOCKET]);
});

Deno.test("connectDaemon() finds a non-root user's one live session", async () => {
  await withSessions({
    "10.session": sessionFileContent("/run/live.sock"),
    "11.session": sessionFileContent("/run/dead.sock"),
    "12.session": "garbage\n",
  }, async (runtime) => {
    const c = connector(["/run/live.sock"]);
    await connectDaemon({
      env: { XDG_RUNTIME_DIR: runtime },
      uid: 1000,
      isPidAlive: (pid) => pid !== 11,
      connect: c.connect,
    });
    assert.deepEqual(c.tried, ["/run/live.sock"]);
  });
});

Deno.test("connectDaemon() falls back from an unanswering session to the system socket", async () => {
  await withSessions({ "10.session": sessionFileContent("/run/stale.sock") }, async (runtime) => {
    const c = connector([SYSTEM_SOCKET]);
    await connectDaemon({
      env: { XDG_RUNTIME_DIR: runtime },
      uid: 1000,
      isPidAlive: () => true,
      connect: c.connect,
    });
    assert.deepEqual(c.tried, ["/run/stale.sock", SYSTEM_SOCKET]);
    const none = connector([]);
    assert.equal(
      await connectError({
        env: { XDG_RUNTIME_DIR: runtime },
        uid: 1000,
        isPidAlive: () => true,
        connect: none.connect,
      }),
      "Unable to connect to the daemon: /run/stale.sock: No such file or directory and " +
        `${SYSTEM_SOCKET}: No such file or directory`,
    );
  });
});

Deno.test("connectDaemon() names the places it tried when none answers", async () => {
  await withSessions({}, async (runtime) => {
    const c = connector([]);
    assert.equal(
      await connectError({ env: { XDG_RUNTIME_DIR: runtime }, uid: 1000, connect: c.connect }),
      `Unable to connect to the daemon: no session found and ${SYSTEM_SOCKET}: ` +
        "No such file or directory",
    );
  });
  await withSessions({
    "10.session": sessionFileContent("/a.sock"),
    "11.session": sessionFileContent("/b.sock"),
  }, async (runtime) => {
    const c = connector([]);
    assert.equal(
      await connectError({
        env: { XDG_RUNTIME_DIR: runtime },
        uid: 1000,
        isPidAlive: () => true,
        connect: c.connect,
      }),
      "Unable to connect to the daemon: 2 sessions found (set UPSTART_SESSION or use --socket) " +
        `and ${SYSTEM_SOCKET}: No such file or directory`,
    );
    assert.deepEqual(c.tried, [SYSTEM_SOCKET]);
  });
});

Deno.test("connectDaemon() skips session discovery for root", async () => {
  await withSessions({ "10.session": sessionFileContent("/a.sock") }, async (runtime) => {
    const c = connector([SYSTEM_SOCKET, "/a.sock"]);
    await connectDaemon({
      env: { XDG_RUNTIME_DIR: runtime },
      uid: 0,
      isPidAlive: () => true,
      connect: c.connect,
    });
    assert.deepEqual(c.tried, [SYSTEM_SOCKET]);
  });
});

Deno.test("connectDaemon() --user needs a session", async () => {
  await withSessions({}, async (runtime) => {
    const c = connector([SYSTEM_SOCKET]);
    for (const uid of [0, 1000]) {
      assert.equal(
        await connectError({
          mode: "user",
          env: { XDG_RUNTIME_DIR: runtime },
          uid,
          connect: c.connect,
        }),
        NO_SESSION_MESSAGE,
      );
    }
    assert.deepEqual(c.tried, []);
  });
  await withSessions({ "10.session": sessionFileContent("/a.sock") }, async (runtime) => {
    const c = connector(["/a.sock"]);
    await connectDaemon({
      mode: "user",
      env: { XDG_RUNTIME_DIR: runtime },
      uid: 0,
      isPidAlive: () => true,
      connect: c.connect,
    });
    assert.deepEqual(c.tried, ["/a.sock"]);
  });
});

Deno.test("findSessions() lists live PID.session files in pid order", async () => {
  await withSessions({
    "200.session": "UPSTART_SESSION=unix:path=/b.sock\n",
    "30.session": "UPSTART_SESSION=unix:abstract=/x\n",
    "31.session": "UPSTART_SESSION_X=1\n",
    "x.session": "UPSTART_SESSION=unix:path=/c.sock\n",
  }, async (runtime) => {
    const sessions = await findSessions(join(runtime, "upstart", "sessions"), () => true);
    assert.deepEqual(sessions, [
      { pid: 30, address: "unix:abstract=/x", socket: null },
      { pid: 200, address: "unix:path=/b.sock", socket: "/b.sock" },
    ]);
    assert.deepEqual(await findSessions(join(runtime, "missing"), () => true), []);
  });
});
