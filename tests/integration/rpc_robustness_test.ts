/**
 * Malformed input sent straight to the control socket (docs/rpc.md
 * "Robustness"): bad JSON, values that are not requests, unknown methods,
 * wrong params, an oversized line, a client that stalls mid-line, and many
 * clients at once. The daemon answers each with an error (or drops the
 * client) and keeps serving everyone else.
 */
import assert from "node:assert/strict";
import { listDir } from "../../sys/libc.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { startTestDaemon, type TestDaemon, waitFor } from "../helpers/test_daemon.ts";

function errorCode(response: unknown): number | undefined {
  return (response as { error?: { code?: number } } | null)?.error?.code;
}

async function stillServing(d: TestDaemon): Promise<void> {
  assert.equal(d.exitStatus, null, d.output);
  assert.match(await d.ok("list"), /^foo stop\/waiting$/m);
}

Deno.test("bad JSON, non-requests, unknown methods and bad params get error responses", async () => {
  await using d = await startTestDaemon({ "foo.conf": "exec sleep 60\n" });
  await using c = await RawClient.connect(d);
  assert.deepEqual(await c.call("{not json"), {
    jsonrpc: "2.0",
    id: null,
    error: { code: -32700, message: "Parse error" },
  });
  assert.equal(
    errorCode(await c.call(new TextDecoder().decode(new Uint8Array([0xff, 0xfe])))),
    -32700,
  );
  for (const line of ["42", '"text"', "null", "true", '{"foo":1}', '{"jsonrpc":"1.0","id":1}']) {
    assert.equal(errorCode(await c.call(line)), -32600, line);
  }
  const unknown = await c.call('{"jsonrpc":"2.0","id":7,"method":"job.explode","params":{}}');
  assert.equal(errorCode(unknown), -32601);
  assert.equal((unknown as { id: number }).id, 7);
  const badParams = [
    '{"jsonrpc":"2.0","id":8,"method":"job.start","params":{"job":5}}',
    '{"jsonrpc":"2.0","id":8,"method":"job.start","params":["foo"]}',
    '{"jsonrpc":"2.0","id":8,"method":"job.start","params":{"job":"foo","env":"A=1"}}',
    '{"jsonrpc":"2.0","id":8,"method":"job.status"}',
    '{"jsonrpc":"2.0","id":8,"method":"event.emit","params":{"name":"x","wait":"yes"}}',
  ];
  for (const line of badParams) {
    const r = await c.call(line) as { id: number; error: { message: string } };
    assert.equal(errorCode(r), -32602, line);
    assert.equal(r.id, 8);
    assert.match(r.error.message, /^Invalid params: /);
  }
  // A good request on the same connection still works.
  const list = await c.call('{"jsonrpc":"2.0","id":9,"method":"job.list","params":{}}');
  assert.deepEqual(list, {
    jsonrpc: "2.0",
    id: 9,
    result: { jobs: [{ job: "foo", instances: [] }] },
  });
  // A batch gets an array; a notification gets nothing.
  await c.send('{"jsonrpc":"2.0","method":"daemon.version"}\n');
  const batch = await c.call(
    '[{"jsonrpc":"2.0","id":1,"method":"daemon.logPriority"},{"jsonrpc":"2.0","id":2,"method":"nope"}]',
  );
  assert.ok(Array.isArray(batch), JSON.stringify(batch));
  assert.deepEqual(batch.map(errorCode), [undefined, -32601]);
  // A request whose handler fails (here: starting an unknown job) is an answer too.
  const failed = await c.call('{"jsonrpc":"2.0","id":3,"method":"job.start","params":{"job":"x"}}');
  assert.deepEqual((failed as { error: unknown }).error, {
    code: -32001,
    message: "Unknown job: x",
  });
  await stillServing(d);
});

Deno.test("a 2 MB line is refused and its client dropped; others are served", async () => {
  await using d = await startTestDaemon({ "foo.conf": "exec sleep 60\n" });
  await using big = await RawClient.connect(d);
  const huge = `{"jsonrpc":"2.0","id":1,"method":"job.status","params":{"job":"${
    "x".repeat(2 * 1024 * 1024)
  }"}}\n`;
  // The daemon may close the connection before it has read everything.
  await big.send(huge).catch(() => {});
  const r = await big.response();
  assert.equal(errorCode(r), -32602, JSON.stringify(r));
  // Closed: end of file, or a reset because the rest of the line was never read.
  const end = await big.response().catch((e) => e);
  assert.ok(end === null || end instanceof Deno.errors.ConnectionReset, String(end));
  await stillServing(d);
});

Deno.test("deeply nested JSON is answered, not fatal", async () => {
  await using d = await startTestDaemon({ "foo.conf": "exec sleep 60\n" });
  await using c = await RawClient.connect(d);
  const depth = 400_000;
  const r = await c.call(`${"[".repeat(depth)}${"]".repeat(depth)}`);
  assert.notEqual(errorCode(r) ?? (Array.isArray(r) ? "array" : undefined), undefined);
  await stillServing(d);
});

Deno.test("a client stalled mid-line does not block other clients", async () => {
  await using d = await startTestDaemon({ "foo.conf": "exec sleep 60\n" });
  await using slow = await RawClient.connect(d);
  await slow.send('{"jsonrpc":"2.0","id":1,"meth');
  for (let i = 0; i < 3; i++) await stillServing(d);
  await using other = await RawClient.connect(d);
  const r = await other.call('{"jsonrpc":"2.0","id":2,"method":"daemon.logPriority"}');
  assert.deepEqual(r, { jsonrpc: "2.0", id: 2, result: { priority: "message" } });
  // The stalled request still completes once the rest of its line arrives.
  const done = await (async () => {
    await slow.send('od":"job.status","params":{"job":"foo"}}\n');
    return await slow.response();
  })();
  assert.equal((done as { id: number }).id, 1);
  assert.equal((done as { result: { status: { state: string } } }).result.status.state, "waiting");
  // A client stalled mid-line does not hold up the end of the session either.
  await using stuck = await RawClient.connect(d);
  await stuck.send('{"jsonrpc":');
  const { status, ms } = await d.terminate();
  assert.equal(status.code, 0);
  // Held up by the stalled client, the exit would wait for its 10 s request timeout; a loaded
  // machine alone takes far less than 8 s.
  assert.ok(ms < 8000, `exit took ${Math.round(ms)} ms`);
});

Deno.test("many concurrent clients are all answered", async () => {
  await using d = await startTestDaemon({ "foo.conf": "exec sleep 60\n" });
  const clients = await Promise.all(Array.from({ length: 100 }, () => RawClient.connect(d)));
  try {
    // Some clients connect and leave without a word, or leave mid-request.
    clients[0]?.[Symbol.asyncDispose]();
    await clients[1]?.send('{"jsonrpc":"2.0","id":1,"method":"job.li');
    clients[1]?.[Symbol.asyncDispose]();
    const answers = await Promise.all(
      clients.slice(2).map((c, i) =>
        c.call(`{"jsonrpc":"2.0","id":${i},"method":"job.status","params":{"job":"foo"}}`)
      ),
    );
    answers.forEach((a, i) => {
      assert.equal((a as { id: number }).id, i);
      assert.equal((a as { result: { status: { job: string } } }).result.status.job, "foo");
    });
    // Several requests on one connection, sent at once, each get their answer.
    const c = clients[2]!;
    await c.send(
      Array.from(
        { length: 20 },
        (_, i) => `{"jsonrpc":"2.0","id":${1000 + i},"method":"daemon.version"}\n`,
      ).join(""),
    );
    const ids = new Set<number>();
    for (let i = 0; i < 20; i++) ids.add(((await c.response()) as { id: number }).id);
    assert.equal(ids.size, 20);
  } finally {
    for (const c of clients) await c[Symbol.asyncDispose]();
  }
  await stillServing(d);
});

Deno.test("a client leaving while it waits for a start does not stop the start", async () => {
  await using d = await startTestDaemon({
    "foo.conf": "exec sleep 60\n",
    "slow.conf": "pre-start exec sleep 0.3\nexec sleep 60\n",
  });
  {
    await using c = await RawClient.connect(d);
    await c.send('{"jsonrpc":"2.0","id":1,"method":"job.start","params":{"job":"slow"}}\n');
    await waitFor(
      "slow to be starting",
      async () => (await d.ok("status", "slow")).includes("start/"),
    );
  }
  await d.waitForStatus("slow", /^slow start\/running, process \d+\n$/);
  await d.ok("stop", "slow");
  await stillServing(d);
});

Deno.test("connections of clients that left while waiting are closed", async () => {
  await using d = await startTestDaemon({ "t.conf": "instance $N\ntask\nexec sleep 60\n" });
  const fds = () => listDir(`/proc/${d.daemonPid}/fd`).length;
  const clients = await Promise.all(Array.from({ length: 20 }, () => RawClient.connect(d)));
  await Promise.all(
    clients.map((c, i) =>
      c.send(
        `{"jsonrpc":"2.0","id":1,"method":"job.start","params":{"job":"t","env":["N=${i}"]}}\n`,
      )
    ),
  );
  await waitFor("20 running instances", async () => {
    return (await d.ok("list")).split("start/running").length === 21;
  });
  const before = fds();
  for (const c of clients) await c[Symbol.asyncDispose]();
  await waitFor(`the daemon to close 20 of its ${before} fds`, () => fds() <= before - 20, {
    timeoutMs: 20_000,
  });
  for (let i = 0; i < 20; i++) await d.ok("stop", "t", `N=${i}`);
});

Deno.test("a client that shuts down its sending side still gets its answers", async () => {
  await using d = await startTestDaemon({ "foo.conf": "exec sleep 60\n" });
  await using c = await RawClient.connect(d);
  await c.send(
    '{"jsonrpc":"2.0","id":1,"method":"job.list"}\n' +
      '{"jsonrpc":"2.0","id":2,"method":"job.start","params":{"job":"foo","wait":false}}\n',
  );
  await c.closeWrite();
  const answers = [await c.response(), await c.response()] as { id: number }[];
  assert.deepEqual(answers.map((a) => a.id).sort(), [1, 2]);
  assert.equal(await c.response(), null);
  await d.waitForStatus("foo", /^foo start\/running, process \d+\n$/);
  await d.ok("stop", "foo");
});

Deno.test("a flood of clients beyond the connection limit is refused, not fatal", async () => {
  await using d = await startTestDaemon({ "foo.conf": "exec sleep 60\n" });
  const clients = await Promise.all(Array.from({ length: 700 }, () => RawClient.connect(d)));
  try {
    const outcomes = await Promise.all(clients.map(async (c, i) => {
      try {
        const r = await c.call(`{"jsonrpc":"2.0","id":${i},"method":"daemon.version"}`);
        return r === null ? "closed" : "answered";
      } catch (e) {
        if (e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BrokenPipe) {
          return "closed";
        }
        throw e;
      }
    }));
    const answered = outcomes.filter((o) => o === "answered").length;
    assert.ok(answered >= 500, `only ${answered} of 700 answered`);
  } finally {
    for (const c of clients) await c[Symbol.asyncDispose]();
  }
  await stillServing(d);
});

Deno.test("a second daemon on a live socket is refused; the first keeps its socket", async () => {
  await using d = await startTestDaemon({ "foo.conf": "exec sleep 60\n" });
  await assert.rejects(
    startTestDaemon({}, { socket: d.socket }),
    new RegExp(`init: Cannot listen on ${d.socket}: another daemon is listening there`),
  );
  await stillServing(d);
  // A stale socket file, with nobody listening, is replaced.
  const { status } = await d.terminate();
  assert.equal(status.code, 0);
  // A process that bound the path and died without removing it.
  const bind = await new Deno.Command("perl", {
    args: [
      "-MIO::Socket::UNIX",
      "-e",
      "IO::Socket::UNIX->new(Local => $ARGV[0], Listen => 1)",
      d.socket,
    ],
  }).output();
  assert.equal(bind.code, 0);
  assert.ok((await Deno.lstat(d.socket)).isSocket);
  await using next = await startTestDaemon({ "bar.conf": "exec sleep 60\n" }, {
    socket: d.socket,
  });
  assert.equal(await next.ok("list"), "bar stop/waiting\n");
});
