/**
 * The control socket's limits against a real daemon (docs/rpc.md#limits): a
 * batch too big to answer in one string, connections held open by another
 * user, a client that sends requests and never reads the answers. The daemon
 * survives each, keeps serving root and other users, and ends promptly on
 * SIGTERM.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { RawClient, rssKiB } from "../helpers/raw_client.ts";
import { ROOT, startTestDaemon, type TestDaemon } from "../helpers/test_daemon.ts";

function errorOf(response: unknown): { code: number; message: string } | undefined {
  return (response as { error?: { code: number; message: string } } | null)?.error;
}

async function stillServing(d: TestDaemon, pattern = /^j0 stop\/waiting$/m): Promise<number> {
  assert.equal(d.exitStatus, null, d.output);
  const t0 = performance.now();
  assert.match(await d.ok("list"), pattern);
  return performance.now() - t0;
}

/** `count` job files with a few stanzas each, so that `show-config` has something to say. */
function manyJobs(count: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    files[`j${i}.conf`] = [
      `description "job number ${i} with a description long enough to matter"`,
      `start on (started j${(i + 1) % count} and filesystem) or runlevel [2345]`,
      "stop on runlevel [!2345] or stopping j0",
      "emits some-event another-event",
      "env A=1",
      "env B=2",
      "exec sleep 60",
      "",
    ].join("\n");
  }
  return files;
}

Deno.test("a 20,000-request batch of show-config is refused whole; a capped one is streamed", async () => {
  await using d = await startTestDaemon(manyJobs(100));
  await using c = await RawClient.connect(d);
  const item = '{"jsonrpc":"2.0","id":1,"method":"job.showConfig"}';
  const huge = `[${Array(20_000).fill(item).join(",")}]`;
  assert.ok(huge.length < 1 << 20, `${huge.length} bytes`);
  const refused = await c.call(huge);
  assert.deepEqual(refused, {
    jsonrpc: "2.0",
    id: null,
    error: {
      code: -32600,
      message: "Invalid request: a batch holds at most 1000 requests, not 20000",
    },
  });
  // 1,000 replies in one array (of one job each: the whole set is the stress suite's).
  const items = Array.from(
    { length: 1000 },
    (_, i) =>
      `{"jsonrpc":"2.0","id":${i},"method":"job.showConfig","params":{"job":"j${i % 100}"}}`,
  );
  const answers = await c.call(`[${items.join(",")}]`) as {
    id: number;
    result: { jobs: unknown[] };
  }[];
  assert.equal(answers.length, 1000);
  assert.ok(answers.every((a, i) => a.id === i && a.result.jobs.length === 1));
  await stillServing(d);
});

Deno.test("another user holding every connection it can locks out neither root nor others", async () => {
  await using d = await startTestDaemon({ "j0.conf": "exec sleep 60\n" }, {
    socketMode: 0o666,
    publicDir: true,
  });
  const holder = new Deno.Command("setpriv", {
    args: [
      "--reuid",
      "65534",
      "--regid",
      "65534",
      "--clear-groups",
      "perl",
      join(ROOT, "tests/helpers/hold_connections.pl"),
      d.socket,
      "700",
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  try {
    const reader = holder.stdout.getReader();
    const { value } = await reader.read();
    reader.releaseLock();
    assert.match(new TextDecoder().decode(value), /^held \d+/);
    // Root is served, and so is a second unprivileged user.
    const ms = await stillServing(d);
    // Each wait includes starting initctl (seconds on a loaded machine); a daemon that served
    // nobody else would keep it until the 30 s limits drop the holder.
    assert.ok(ms < 15_000, `root waited ${Math.round(ms)} ms`);
    const other = await new Deno.Command("setpriv", {
      args: [
        "--reuid",
        "65533",
        "--regid",
        "65533",
        "--clear-groups",
        join(ROOT, "bin/initctl"),
        "--socket",
        d.socket,
        "list",
      ],
      clearEnv: true,
      env: { PATH: "/usr/bin:/bin" },
      cwd: "/",
    }).output();
    assert.equal(new TextDecoder().decode(other.stdout), "j0 stop/waiting\n");
    assert.equal(other.code, 0);
  } finally {
    await holder.stdin.close();
    await holder.status;
    await holder.stdout.cancel().catch(() => {});
  }
  await stillServing(d);
});

Deno.test("a client that never reads costs bounded memory, and leaving or SIGTERM is prompt", async () => {
  await using d = await startTestDaemon(manyJobs(20));
  const before = rssKiB(d.daemonPid)!;
  const flooder = await RawClient.connect(d);
  const line = '{"jsonrpc":"2.0","id":1,"method":"job.showConfig","params":{"job":"j1"}}\n';
  // 8 MB of requests, never reading an answer. The daemon stops reading them once the
  // answers back up, so this write does not complete until the flooder is dropped.
  const flood = flooder.send(line.repeat(Math.ceil(8_000_000 / line.length))).catch(() => {});
  await new Promise((r) => setTimeout(r, 2000));
  const during = await stillServing(d);
  // As above: initctl's start-up is in the wait; a blocked daemon would hold it 30 s.
  assert.ok(during < 15_000, `another client waited ${Math.round(during)} ms`);
  const grown = rssKiB(d.daemonPid)! - before;
  assert.ok(grown < 100 * 1024, `the daemon grew by ${grown} KiB`);
  await flooder[Symbol.asyncDispose]();
  await flood;
  const after = await stillServing(d);
  assert.ok(after < 15_000, `after the flooder left, a client waited ${Math.round(after)} ms`);
  // Again, and SIGTERM while the flooder is connected.
  await using again = await RawClient.connect(d);
  void again.send(line.repeat(100_000)).catch(() => {});
  await new Promise((r) => setTimeout(r, 1000));
  const { status, ms } = await d.terminate();
  assert.equal(status.code, 0);
  // Waiting for the flooder would take the 30 s reply-stall limit.
  assert.ok(ms < 8000, `SIGTERM took ${Math.round(ms)} ms`);
});

Deno.test("a request id that is an object or array is answered with id null", async () => {
  await using d = await startTestDaemon({ "j0.conf": "exec sleep 60\n" });
  await using c = await RawClient.connect(d);
  for (const id of ['{"x":1}', "[1,2]"]) {
    const r = await c.call(`{"jsonrpc":"2.0","id":${id},"method":"daemon.version"}`);
    assert.equal((r as { id: unknown }).id, null, JSON.stringify(r));
    assert.equal(errorOf(r)?.code, -32600);
  }
  await stillServing(d);
});
