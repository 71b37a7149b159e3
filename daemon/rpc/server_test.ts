// The control socket without a daemon: the dispatcher driven directly, and the server on a
// real unix socket in a temp dir with fake handlers, a fake peer lookup and the protocol's own
// client on the other end.
import assert from "node:assert/strict";
import { join } from "node:path";
import { connectSocket } from "../../protocol/client.ts";
import { ERROR_CODES, RpcError } from "../../protocol/errors.ts";
import type { Method } from "../../protocol/methods.ts";
import {
  type Authorizer,
  type CallContext,
  ControlSocketServer,
  createDispatcher,
  type RpcHandlers,
  SocketInUseError,
} from "./server.ts";

const PEER = { pid: 4242, uid: 1000, gid: 1000 };

/** Handlers for a few methods; the rest fail the test if called. */
function handlers(overrides: Partial<RpcHandlers> = {}): RpcHandlers {
  const unexpected = (name: string) => () => {
    throw new Error(`unexpected call to ${name}`);
  };
  const base: Partial<RpcHandlers> = {
    "daemon.version": () => ({ upstart: "1.13.2", daybreak: "test", protocol: 1 }),
    "job.usage": (p) => ({ usage: `usage of ${p.job}` }),
    "job.status": (p) => {
      throw RpcError.of("UnknownJob", { job: p.job });
    },
    "job.reload": () => {
      throw new TypeError("a bug");
    },
  };
  return new Proxy({ ...base, ...overrides } as RpcHandlers, {
    get: (target, name: string) => target[name as Method] ?? unexpected(name),
  });
}

interface Harness extends AsyncDisposable {
  readonly path: string;
  readonly server: ControlSocketServer;
  readonly internal: string[];
  readonly closed: Deno.UnixConn[];
}

async function serve(
  h: RpcHandlers,
  options: { authorize?: Authorizer; maxRequestBytes?: number; idleTimeoutMs?: number } = {},
): Promise<Harness> {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "ctl.sock");
  const internal: string[] = [];
  const closed: Deno.UnixConn[] = [];
  const dispatcher = createDispatcher(h, {
    authorize: options.authorize ?? (() => {}),
    onInternalError: (method) => internal.push(method),
  });
  const server = await ControlSocketServer.listen({
    path,
    dispatcher,
    peerLookup: () => PEER,
    createWithMode: (_mode, fn) => fn(),
    mode: 0o600,
    ...(options.maxRequestBytes === undefined ? {} : { maxRequestBytes: options.maxRequestBytes }),
    ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
    onClose: (conn) => closed.push(conn),
  });
  return {
    path,
    server,
    internal,
    closed,
    async [Symbol.asyncDispose]() {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Sends raw text and reads answer lines until `count` arrived or the server closed. */
async function raw(path: string, text: string, count: number): Promise<unknown[]> {
  const conn = await Deno.connect({ transport: "unix", path });
  try {
    await conn.write(new TextEncoder().encode(text));
    let got = "";
    const buf = new Uint8Array(65536);
    while (got.split("\n").length - 1 < count) {
      const n = await conn.read(buf);
      if (n === null) break;
      got += new TextDecoder().decode(buf.subarray(0, n));
    }
    return got.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
  } finally {
    conn.close();
  }
}

/** Leaves a socket file behind the way a killed daemon does (Deno removes its own on close). */
async function leaveStaleSocket(path: string): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `Deno.listen({ transport: "unix", path: ${
        JSON.stringify(path)
      } }); console.log("ready"); setInterval(() => {}, 1000);`,
    ],
    stdout: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = child.stdout.getReader();
  await reader.read();
  reader.releaseLock();
  child.kill("SIGKILL");
  await child.status;
  await child.stdout.cancel();
}

function ctx(): CallContext {
  return { peer: PEER, signal: new AbortController().signal };
}

Deno.test("the dispatcher validates params, applies defaults and calls the handler", async () => {
  let seen: unknown = null;
  const d = createDispatcher(
    handlers({
      "job.status": (p) => {
        seen = p;
        return {
          status: { job: p.job, instance: "", goal: "stop", state: "waiting", processes: [] },
        };
      },
    }),
    { authorize: () => {}, onInternalError: () => {} },
  );
  const ok = await d.receive(
    { jsonrpc: "2.0", id: 1, method: "job.status", params: { job: "a" } },
    ctx(),
  );
  assert.equal(ok?.error, undefined);
  assert.deepEqual(seen, { job: "a", env: [] });
  const bad = await d.receive(
    { jsonrpc: "2.0", id: 2, method: "job.status", params: { job: "" } },
    ctx(),
  );
  assert.equal(bad?.error?.code, ERROR_CODES.InvalidParams);
  assert.match(bad?.error?.message ?? "", /^Invalid params: job: /);
});

Deno.test("the dispatcher answers protocol errors by code and hides bugs", async () => {
  const internal: string[] = [];
  const d = createDispatcher(handlers(), {
    authorize: () => {},
    onInternalError: (m) => internal.push(m),
  });
  const refused = await d.receive(
    { jsonrpc: "2.0", id: 1, method: "job.status", params: { job: "x" } },
    ctx(),
  );
  assert.deepEqual(refused?.error, { code: -32001, message: "Unknown job: x" });
  assert.deepEqual(internal, []);
  const bug = await d.receive(
    { jsonrpc: "2.0", id: 2, method: "job.reload", params: { job: "x" } },
    ctx(),
  );
  assert.deepEqual(bug?.error, { code: ERROR_CODES.Internal, message: "Internal error" });
  assert.equal(internal.length, 1);
});

Deno.test("the dispatcher asks the authorizer with validated params and the caller", async () => {
  const asked: [Method, unknown, number | undefined][] = [];
  const d = createDispatcher(handlers(), {
    authorize: (method, params, c) => {
      asked.push([method, params, c.peer?.uid]);
      if (method === "job.usage") throw RpcError.of("PermissionDenied", { what: "look" });
    },
    onInternalError: () => {},
  });
  const r = await d.receive(
    { jsonrpc: "2.0", id: 1, method: "job.usage", params: { job: "w" } },
    ctx(),
  );
  assert.deepEqual(r?.error, { code: -32007, message: "You do not have permission to look" });
  assert.deepEqual(asked, [["job.usage", { job: "w" }, 1000]]);
});

Deno.test("the server answers the protocol client, with the caller's credentials", async () => {
  let peer: unknown = null;
  await using h = await serve(handlers({
    "job.usage": (p, c) => {
      peer = c.peer;
      return { usage: `usage of ${p.job}` };
    },
  }));
  const client = await connectSocket(h.path);
  try {
    assert.deepEqual(await client.call("job.usage", { job: "web" }), { usage: "usage of web" });
    assert.deepEqual(peer, PEER);
    const [a, b] = await Promise.all([
      client.call("daemon.version", {}),
      client.call("job.usage", { job: "db" }),
    ]);
    assert.equal(a.daybreak, "test");
    assert.equal(b.usage, "usage of db");
    await assert.rejects(client.call("job.status", { job: "nosuch" }), (e: unknown) => {
      assert.ok(e instanceof RpcError);
      assert.equal(e.codeName, "UnknownJob");
      assert.equal(e.message, "Unknown job: nosuch");
      assert.equal(e.exitStatus, 1);
      return true;
    });
  } finally {
    client.close();
  }
});

Deno.test("the server survives bad JSON and answers the next line", async () => {
  await using h = await serve(handlers());
  const answers = await raw(
    h.path,
    'not json\n{"jsonrpc":"2.0","id":7,"method":"daemon.version"}\n',
    2,
  );
  assert.deepEqual(answers[0], {
    jsonrpc: "2.0",
    id: null,
    error: { code: -32700, message: "Parse error" },
  });
  assert.deepEqual(answers[1], {
    jsonrpc: "2.0",
    id: 7,
    result: { upstart: "1.13.2", daybreak: "test", protocol: 1 },
  });
  const unknown = await raw(h.path, '{"jsonrpc":"2.0","id":1,"method":"no.such"}\n', 1);
  assert.equal((unknown[0] as { error: { code: number } }).error.code, -32601);
});

Deno.test("the server drops a client whose line is over the limit", async () => {
  await using h = await serve(handlers(), { maxRequestBytes: 64 });
  const answers = await raw(h.path, "x".repeat(100), 1);
  assert.deepEqual(answers, [{
    jsonrpc: "2.0",
    id: null,
    error: {
      code: ERROR_CODES.InvalidParams,
      message: "Cannot read request: line exceeds 64 bytes",
    },
  }]);
  const ok = await raw(h.path, '{"jsonrpc":"2.0","id":1,"method":"daemon.version"}\n', 1);
  assert.equal((ok[0] as { id: number }).id, 1);
});

Deno.test("a client that leaves aborts its waiting calls", async () => {
  let aborted: () => void = () => {};
  const gone = new Promise<void>((resolve) => aborted = resolve);
  await using h = await serve(handlers({
    "event.emit": (_p, c) =>
      new Promise((resolve) => {
        c.signal.addEventListener("abort", () => {
          aborted();
          resolve({});
        });
      }),
  }));
  const conn = await Deno.connect({ transport: "unix", path: h.path });
  await conn.write(
    new TextEncoder().encode(
      '{"jsonrpc":"2.0","id":1,"method":"event.emit","params":{"name":"e"}}\n',
    ),
  );
  // Wait until the server has the connection, then leave without reading the answer.
  while (h.server.connections === 0) await new Promise((r) => setTimeout(r, 5));
  conn.close();
  await gone;
  while (h.closed.length === 0) await new Promise((r) => setTimeout(r, 5));
  assert.equal(h.server.connections, 0);
});

Deno.test("listen() refuses a live socket, replaces a stale one, close() removes its own", async () => {
  await using h = await serve(handlers());
  const dispatcher = createDispatcher(handlers(), {
    authorize: () => {},
    onInternalError: () => {},
  });
  const options = {
    path: h.path,
    dispatcher,
    peerLookup: () => PEER,
    createWithMode: <T>(_mode: number, fn: () => T) => fn(),
    mode: 0o600,
  };
  await assert.rejects(ControlSocketServer.listen(options), SocketInUseError);

  // A socket file nobody listens on (left by a daemon that was killed) is replaced.
  const stalePath = `${h.path}.stale`;
  await leaveStaleSocket(stalePath);
  assert.ok((await Deno.lstat(stalePath)).isSocket);
  const second = await ControlSocketServer.listen({ ...options, path: stalePath });
  const client = await connectSocket(stalePath);
  assert.equal((await client.call("daemon.version", {})).protocol, 1);
  client.close();
  await second.close();
  await assert.rejects(Deno.lstat(stalePath), Deno.errors.NotFound);
});
