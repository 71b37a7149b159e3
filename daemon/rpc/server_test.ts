// The control socket without a daemon: the dispatcher driven directly, and the server on a
// real unix socket in a temp dir with fake handlers, a fake peer lookup and the protocol's own
// client on the other end.
import assert from "node:assert/strict";
import { join } from "node:path";
import { connectSocket } from "../../protocol/client.ts";
import { ERROR_CODES, RpcError } from "../../protocol/errors.ts";
import type { Method } from "../../protocol/methods.ts";
import type { RawConn } from "./raw_listener.ts";
import {
  type Authorizer,
  type CallContext,
  type ControlSocketOptions,
  ControlSocketServer,
  type RpcHandlers,
  SocketInUseError,
} from "./server.ts";
import { createDispatcher } from "./dispatcher.ts";

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
  readonly closed: RawConn[];
}

async function serve(
  h: RpcHandlers,
  options: { authorize?: Authorizer } & Partial<ServerLimits> = {},
): Promise<Harness> {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "ctl.sock");
  const internal: string[] = [];
  const closed: RawConn[] = [];
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
    ...limitsOf(options),
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

/** The options of the server that tests here set. */
type ServerLimits = Omit<
  ControlSocketOptions,
  "path" | "dispatcher" | "peerLookup" | "createWithMode" | "mode" | "onClose"
>;

function limitsOf(options: { authorize?: Authorizer } & Partial<ServerLimits>): ServerLimits {
  const { authorize: _, ...limits } = options;
  return limits;
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

Deno.test("the server tells onAnswered of every request line it answered", async () => {
  let answered = 0;
  await using h = await serve(handlers(), { onAnswered: () => answered++ });
  const answers = await raw(
    h.path,
    'not json\n\n{"jsonrpc":"2.0","id":7,"method":"daemon.version"}\n',
    2,
  );
  assert.equal(answers.length, 2);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(answered, 2, "the bad line and the request; the blank line is no request");
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

/** Reads until the server closes the connection; resolves with what was read and how long. */
async function readToEnd(conn: Deno.Conn): Promise<{ text: string; ms: number }> {
  const t0 = performance.now();
  const buf = new Uint8Array(65536);
  let text = "";
  for (;;) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) return { text, ms: performance.now() - t0 };
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
}

Deno.test("an id that is an object or array is answered with id null, as an Invalid Request", async () => {
  await using h = await serve(handlers());
  const answers = await raw(
    h.path,
    '{"jsonrpc":"2.0","id":{"a":1},"method":"daemon.version"}\n' +
      '{"jsonrpc":"2.0","id":[1],"method":"daemon.version"}\n' +
      '{"jsonrpc":"2.0","id":true,"method":"daemon.version"}\n' +
      '[{"jsonrpc":"2.0","id":{"x":[]},"method":"daemon.version"},' +
      '{"jsonrpc":"2.0","id":"s","method":"daemon.version"}]\n',
    4,
  );
  for (const a of answers.slice(0, 3)) {
    assert.deepEqual(a, {
      jsonrpc: "2.0",
      id: null,
      error: {
        code: ERROR_CODES.InvalidRequest,
        message: "Invalid request: id must be a string, a number or null",
      },
    });
  }
  const batch = answers[3] as { id: unknown; error?: { code: number } }[];
  assert.deepEqual(batch.map((r) => [r.id, r.error?.code]), [
    [null, ERROR_CODES.InvalidRequest],
    ["s", undefined],
  ]);
});

Deno.test("a reply that cannot be serialised is an Internal error for that request only", async () => {
  const errors: string[] = [];
  await using h = await serve(
    handlers({
      // A BigInt makes JSON.stringify throw, as an over-long or over-deep reply does.
      "job.usage": (p) => ({ usage: p.job === "bad" ? (1n as unknown as string) : p.job }),
    }),
    { onClientError: (m) => errors.push(m) },
  );
  const line = (id: number, job: string) =>
    `{"jsonrpc":"2.0","id":${id},"method":"job.usage","params":{"job":"${job}"}}`;
  const answers = await raw(
    h.path,
    `${line(1, "bad")}\n[${line(2, "ok")},${line(3, "bad")},${line(4, "fine")}]\n${line(5, "x")}\n`,
    3,
  );
  assert.deepEqual(answers[0], {
    jsonrpc: "2.0",
    id: 1,
    error: { code: ERROR_CODES.Internal, message: "Internal error" },
  });
  assert.deepEqual(answers[1], [
    { jsonrpc: "2.0", id: 2, result: { usage: "ok" } },
    { jsonrpc: "2.0", id: 3, error: { code: ERROR_CODES.Internal, message: "Internal error" } },
    { jsonrpc: "2.0", id: 4, result: { usage: "fine" } },
  ]);
  assert.deepEqual(answers[2], { jsonrpc: "2.0", id: 5, result: { usage: "x" } });
  assert.equal(errors.filter((e) => /cannot serialise/.test(e)).length, 2);
});

Deno.test("a batch is answered as one array built piece by piece, and capped in size", async () => {
  const usage = "u".repeat(10_000);
  await using h = await serve(handlers({ "job.usage": () => ({ usage }) }), {
    maxBatchRequests: 300,
  });
  const item = (i: number) =>
    `{"jsonrpc":"2.0","id":${i},"method":"job.usage","params":{"job":"j"}}`;
  const list = (n: number) => `[${Array.from({ length: n }, (_, i) => item(i)).join(",")}]\n`;
  // 300 replies of 10 kB: 3 MB, more than the reply high-water mark, in one array.
  const [full] = await raw(h.path, list(300), 1) as { id: number; result: { usage: string } }[][];
  assert.equal(full?.length, 300);
  assert.deepEqual(full!.map((r) => r.id), Array.from({ length: 300 }, (_, i) => i));
  assert.ok(full!.every((r) => r.result.usage === usage));
  // Notifications only: no answer at all; then a good request on the same connection.
  const quiet = await raw(
    h.path,
    '[{"jsonrpc":"2.0","method":"daemon.version"}]\n{"jsonrpc":"2.0","id":1,"method":"daemon.version"}\n',
    1,
  );
  assert.deepEqual(quiet.map((r) => (r as { id: number }).id), [1]);
  for (
    const [text, detail] of [[list(301), "a batch holds at most 300 requests, not 301"], [
      "[]\n",
      "empty batch",
    ]]
  ) {
    assert.deepEqual(await raw(h.path, text!, 1), [{
      jsonrpc: "2.0",
      id: null,
      error: { code: ERROR_CODES.InvalidRequest, message: `Invalid request: ${detail}` },
    }]);
  }
});

Deno.test("a pipelined request is never written into the middle of a batch's array", async () => {
  await using h = await serve(handlers({
    "job.usage": async (p) => {
      await new Promise((r) => setTimeout(r, p.job === "slow" ? 20 : 0));
      return { usage: p.job };
    },
  }));
  const item = (i: number, job: string) =>
    `{"jsonrpc":"2.0","id":${i},"method":"job.usage","params":{"job":"${job}"}}`;
  const answers = await raw(
    h.path,
    `[${item(1, "a")},${item(2, "slow")},${item(3, "slow")}]\n${item(4, "b")}\n${item(5, "c")}\n`,
    3,
  );
  const batch = answers.find(Array.isArray) as { id: number }[];
  assert.deepEqual(batch.map((r) => r.id), [1, 2, 3]);
  const singles = answers.filter((a) => !Array.isArray(a)) as { id: number }[];
  assert.deepEqual(singles.map((r) => r.id).sort(), [4, 5]);
});

Deno.test("a connection that sends nothing is dropped after the idle timeout", async () => {
  await using h = await serve(handlers(), { idleTimeoutMs: 200 });
  const conn = await Deno.connect({ transport: "unix", path: h.path });
  try {
    const { text, ms } = await readToEnd(conn);
    assert.equal(text, "");
    assert.ok(ms >= 150 && ms < 3000, `dropped after ${Math.round(ms)} ms`);
  } finally {
    conn.close();
  }
  // A client that waits for an answer is not idle.
  await using slow = await serve(
    handlers({
      "job.usage": () => new Promise((r) => setTimeout(() => r({ usage: "late" }), 500)),
    }),
    { idleTimeoutMs: 200 },
  );
  const answers = await raw(
    slow.path,
    '{"jsonrpc":"2.0","id":1,"method":"job.usage","params":{"job":"j"}}\n',
    1,
  );
  assert.deepEqual(answers, [{ jsonrpc: "2.0", id: 1, result: { usage: "late" } }]);
});

Deno.test("a request dribbled a byte at a time is dropped at the request timeout", async () => {
  await using h = await serve(handlers(), { requestTimeoutMs: 400, idleTimeoutMs: 10_000 });
  const conn = await Deno.connect({ transport: "unix", path: h.path });
  const reading = readToEnd(conn);
  let sent = 0;
  let stop = false;
  const dribble = (async () => {
    // One byte every 50 ms: each byte well inside the timeout, the whole line never.
    for (
      const byte of new TextEncoder().encode('{"jsonrpc":"2.0","id":1,"method":"daemon.version"')
    ) {
      if (stop) return;
      try {
        await conn.write(new Uint8Array([byte]));
      } catch {
        return;
      }
      sent++;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const { ms } = await reading;
  stop = true;
  await dribble;
  conn.close();
  assert.ok(ms >= 350 && ms < 2000, `dropped after ${Math.round(ms)} ms (${sent} bytes sent)`);
  assert.ok(sent < 49, `the whole line went through (${sent} bytes)`);
});

Deno.test("a client that does not read is dropped; reading stops while its replies wait", async () => {
  const errors: string[] = [];
  let calls = 0;
  await using h = await serve(
    handlers({
      "job.usage": () => {
        calls++;
        return { usage: "u".repeat(1000) };
      },
    }),
    { replyStallTimeoutMs: 300, onClientError: (m) => errors.push(m) },
  );
  const conn = await Deno.connect({ transport: "unix", path: h.path });
  const line = new TextEncoder().encode(
    '{"jsonrpc":"2.0","id":1,"method":"job.usage","params":{"job":"j"}}\n',
  );
  const flood = new Uint8Array(line.length * 20_000);
  for (let i = 0; i < 20_000; i++) flood.set(line, i * line.length);
  // The server stops reading once replies back up, so this write never completes.
  const writing = (async () => {
    let rest = flood;
    try {
      while (rest.length > 0) rest = rest.subarray(await conn.write(rest));
    } catch { /* dropped */ }
  })();
  while (!errors.some((e) => /dropped: no reply read/.test(e))) {
    await new Promise((r) => setTimeout(r, 20));
  }
  // Far fewer than the 20,000 requests sent were handled: back-pressure held the rest.
  assert.ok(calls < 5000, `${calls} requests handled`);
  conn.close();
  await writing;
  while (h.server.connections > 0) await new Promise((r) => setTimeout(r, 10));
  const ok = await raw(h.path, '{"jsonrpc":"2.0","id":2,"method":"daemon.version"}\n', 1);
  assert.equal((ok[0] as { id: number }).id, 2);
});

Deno.test("blank lines do not keep an idle connection open", async () => {
  await using h = await serve(handlers(), { idleTimeoutMs: 300 });
  const conn = await Deno.connect({ transport: "unix", path: h.path });
  let stop = false;
  const blanks = (async () => {
    while (!stop) {
      try {
        await conn.write(new TextEncoder().encode("\n"));
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    const { ms } = await readToEnd(conn);
    assert.ok(ms >= 250 && ms < 2000, `dropped after ${Math.round(ms)} ms`);
  } finally {
    stop = true;
    await blanks;
    conn.close();
  }
});
