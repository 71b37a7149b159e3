import assert from "node:assert/strict";
import { join } from "node:path";
import { ReplyQueue } from "./reply_queue.ts";

/** A connected pair of unix sockets in a temp dir. */
async function pair(): Promise<{ server: Deno.UnixConn; client: Deno.UnixConn } & AsyncDisposable> {
  const dir = await Deno.makeTempDir();
  const listener = Deno.listen({ transport: "unix", path: join(dir, "s") });
  const [client, server] = await Promise.all([
    Deno.connect({ transport: "unix", path: join(dir, "s") }),
    listener.accept(),
  ]);
  listener.close();
  return {
    server,
    client,
    async [Symbol.asyncDispose]() {
      for (const c of [server, client]) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("replies go out in order; below() waits for the reader", async () => {
  await using p = await pair();
  const failures: string[] = [];
  const q = new ReplyQueue(p.server, { maxBytes: 1 << 20, stallTimeoutMs: 5000 }, (w) => {
    failures.push(w);
  });
  const chunk = new Uint8Array(300_000).fill(0x61);
  assert.ok(q.push(chunk));
  assert.ok(q.push(new TextEncoder().encode("end\n")));
  let drained = false;
  const waiting = q.below(0).then(() => drained = true);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(drained, false, "drained before anything was read");
  let text = "";
  const buf = new Uint8Array(65536);
  while (!text.endsWith("end\n")) {
    const n = await p.client.read(buf);
    text += new TextDecoder().decode(buf.subarray(0, n!));
  }
  await waiting;
  assert.equal(text.length, 300_004);
  assert.deepEqual(failures, []);
});

Deno.test("a push past the bound fails the queue; one reply alone always fits", async () => {
  await using p = await pair();
  const failures: string[] = [];
  const q = new ReplyQueue(p.server, { maxBytes: 1000, stallTimeoutMs: 5000 }, (w) => {
    failures.push(w);
  });
  // Larger than the bound, alone in the queue: accepted (the client does not read).
  assert.ok(q.push(new Uint8Array(4_000_000)));
  assert.equal(q.push(new Uint8Array(10)), false);
  assert.match(q.failed ?? "", /over 1000 bytes/);
  assert.equal(q.bytes, 0);
  assert.equal(q.push(new Uint8Array(1)), false);
  await q.below(0);
  assert.equal(failures.length, 1);
});

Deno.test("a reader that reads nothing fails the queue at the stall timeout", async () => {
  await using p = await pair();
  let failed = "";
  const q = new ReplyQueue(p.server, { maxBytes: 64 << 20, stallTimeoutMs: 200 }, (w) => {
    failed = w;
  });
  const t0 = performance.now();
  q.push(new Uint8Array(8 << 20));
  await q.below(0);
  const ms = performance.now() - t0;
  assert.match(failed, /no reply read for 200 ms/);
  assert.ok(ms >= 150 && ms < 3000, `failed after ${Math.round(ms)} ms`);
});
