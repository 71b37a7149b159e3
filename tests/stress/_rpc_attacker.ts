/**
 * The client side of the RPC fuzz (rpc_fuzz_test.ts), run as another user
 * through `setpriv`: `deno run _rpc_attacker.ts SOCKET PART COUNT SEED`.
 * Prints one JSON line of figures: inputs tried, bad replies (not JSON-RPC),
 * stalls, drops, and part-specific ones. Never asserts: the test judges.
 *
 * @module
 */

import fc from "fast-check";
import { METHODS } from "../../protocol/schemas.ts";
import { RawClient } from "../helpers/raw_client.ts";

const [path = "", part = "", countText = "0", seedText = "1"] = Deno.args;
const count = Number(countText);
const seed = Number(seedText);
const encoder = new TextEncoder();
const figures: Record<string, number | string> = { "inputs tried": 0, "bad replies": 0 };
const add = (k: string, by = 1) => figures[k] = (Number(figures[k] ?? 0) as number) + by;

/** A well-formed JSON-RPC 2.0 response (or a batch of them). */
function wellFormed(r: unknown): boolean {
  if (Array.isArray(r)) return r.length > 0 && r.every(wellFormed);
  if (typeof r !== "object" || r === null) return false;
  const o = r as Record<string, unknown>;
  const idOk = typeof o.id === "string" || typeof o.id === "number" || o.id === null;
  if (o.jsonrpc !== "2.0" || !idOk || ("result" in o) === ("error" in o)) return false;
  if ("error" in o) {
    const e = o.error as { code?: unknown; message?: unknown };
    return Number.isInteger(e?.code) && typeof e?.message === "string";
  }
  return true;
}

function timeout<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
  let t: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise<"timeout">((r) => t = setTimeout(() => r("timeout"), ms))])
    .finally(() => clearTimeout(t));
}

const methods = Object.keys(METHODS);
const anyId = fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.jsonValue());
const request = fc.record({
  jsonrpc: fc.oneof(fc.constant("2.0"), fc.constant("2.0"), fc.jsonValue()),
  id: anyId,
  method: fc.oneof(fc.constantFrom(...methods), fc.constantFrom(...methods), fc.string()),
  params: fc.oneof(
    fc.dictionary(
      fc.constantFrom(
        "job",
        "name",
        "env",
        "wait",
        "instance",
        "priority",
        "names",
        "ignoreEvents",
      ),
      fc.oneof(fc.string(), fc.jsonValue(), fc.array(fc.string())),
    ),
    fc.jsonValue(),
  ),
}, { requiredKeys: [] });
/** Valid-looking requests, JSON values, arbitrary text, cut or spliced requests. */
const line = fc.oneof(
  request.map((r) => JSON.stringify(r)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ unit: "binary" }),
  fc.tuple(request, fc.nat(), fc.string()).map(([r, at, junk]) => {
    const text = JSON.stringify(r);
    const i = at % (text.length + 1);
    return text.slice(0, i) + junk + text.slice(i + junk.length);
  }),
  fc.array(request, { minLength: 0, maxLength: 20 }).map((b) => JSON.stringify(b)),
);

/** Each input, then a sentinel request; every reply up to the sentinel's must be well-formed. */
async function malformed(): Promise<void> {
  const inputs = fc.sample(line, { numRuns: count, seed });
  const workers = 4;
  await Promise.all(Array.from({ length: workers }, async (_, w) => {
    let c = await RawClient.connect(path);
    for (let i = w; i < inputs.length; i += workers) {
      add("inputs tried");
      const sentinel = `s${i}`;
      let broken = false;
      try {
        await c.send(
          `${inputs[i]}\n{"jsonrpc":"2.0","id":"${sentinel}","method":"daemon.version"}\n`,
        );
        for (;;) {
          const r = await timeout(c.response(), 10_000);
          if (r === "timeout" || r === null) {
            add(r === null ? "connections dropped" : "stalls");
            broken = true;
            break;
          }
          if (!wellFormed(r)) add("bad replies");
          if ((r as { id?: unknown }).id === sentinel) break;
        }
      } catch {
        add("connections dropped");
        broken = true;
      }
      if (broken) {
        await c[Symbol.asyncDispose]();
        c = await RawClient.connect(path);
      }
    }
    await c[Symbol.asyncDispose]();
  }));
}

/** Lines over the 1 MiB limit: an error answer, then the connection is closed. */
async function oversized(): Promise<void> {
  for (let i = 0; i < count; i++) {
    add("inputs tried");
    await using c = await RawClient.connect(path);
    const size = (1 << 20) + 1 + ((i * 7919) % (2 << 20));
    const text = `{"jsonrpc":"2.0","id":1,"method":"job.status","params":{"job":"${
      "x".repeat(size)
    }"}}\n`;
    const sending = c.send(text).catch(() => {});
    const r = await timeout(c.response().catch(() => null), 10_000);
    if (r === "timeout") add("stalls");
    else if (r !== null && (r as { error?: { code: number } }).error?.code !== -32602) {
      add("bad replies");
    }
    const end = await timeout(c.response().catch(() => null), 10_000);
    if (end !== null) add("not closed");
    await sending;
  }
}

/** Requests sent a byte at a time (and, with IDLE_MS, idle connections): all dropped in time. */
async function slow(): Promise<void> {
  const text = encoder.encode('{"jsonrpc":"2.0","id":1,"method":"daemon.version"}');
  const times: number[] = [];
  await Promise.all(Array.from({ length: count }, async () => {
    add("inputs tried");
    const conn = await Deno.connect({ transport: "unix", path });
    const t0 = performance.now();
    let sent = 0;
    const buf = new Uint8Array(1024);
    const closed = conn.read(buf).catch(() => null).then(() => performance.now() - t0);
    let done = false;
    void closed.then(() => done = true);
    for (const byte of text) {
      if (done) break;
      try {
        await conn.write(new Uint8Array([byte]));
      } catch {
        break;
      }
      sent++;
      await new Promise((r) => setTimeout(r, 700));
    }
    if (sent === text.length) add("whole request went through");
    times.push(await closed);
    conn.close();
  }));
  figures["slowest drop ms"] = Math.round(Math.max(0, ...times));
}

/** Idle connections (sending nothing): all dropped at the idle timeout. */
async function idle(): Promise<void> {
  const times = await Promise.all(Array.from({ length: count }, async () => {
    add("inputs tried");
    const conn = await Deno.connect({ transport: "unix", path });
    const t0 = performance.now();
    await conn.read(new Uint8Array(16)).catch(() => null);
    conn.close();
    return performance.now() - t0;
  }));
  figures["slowest drop ms"] = Math.round(Math.max(0, ...times));
}

/** COUNT requests written at once on one connection while reading: every one answered. */
async function pipelined(): Promise<void> {
  await using c = await RawClient.connect(path);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push(
      i % 3 === 0
        ? `{"jsonrpc":"2.0","id":${i},"method":"job.status","params":{"job":"j${i % 20}"}}`
        : i % 3 === 1
        ? `{"jsonrpc":"2.0","id":${i},"method":"daemon.version"}`
        : `{"jsonrpc":"2.0","id":${i},"method":"job.showConfig","params":{"job":"j${i % 20}"}}`,
    );
  }
  figures["inputs tried"] = count;
  const writing = c.send(`${lines.join("\n")}\n`);
  const seen = new Set<number>();
  while (seen.size < count) {
    const r = await timeout(c.response(), 20_000);
    if (r === "timeout" || r === null) {
      add(r === null ? "connections dropped" : "stalls");
      break;
    }
    if (!wellFormed(r)) add("bad replies");
    seen.add((r as { id: number }).id);
  }
  await writing;
  figures["unanswered"] = count - seen.size;
}

/** 8 MB of requests, never read, for COUNT ms; how much the daemon took in is reported. */
async function flood(): Promise<void> {
  const c = await RawClient.connect(path);
  const line = '{"jsonrpc":"2.0","id":1,"method":"job.showConfig"}\n';
  const text = line.repeat(Math.ceil(8_000_000 / line.length));
  figures["inputs tried"] = text.length / line.length;
  let finished = false;
  const writing = c.send(text).then(() => finished = true, () => {});
  await new Promise((r) => setTimeout(r, count));
  figures["flood written whole"] = String(finished);
  await c[Symbol.asyncDispose]();
  await writing;
}

/** Batches of mixed elements, plus the 20,000-request show-config batch. */
async function batched(): Promise<void> {
  await using c = await RawClient.connect(path);
  const element = fc.oneof(
    fc.nat().map((i) => ({ expect: 1, text: `{"jsonrpc":"2.0","id":${i},"method":"job.list"}` })),
    fc.constant({ expect: 0, text: '{"jsonrpc":"2.0","method":"daemon.version"}' }),
    fc.jsonValue().filter((v) => typeof v !== "object" || v === null).map((v) => ({
      expect: 1,
      text: JSON.stringify(v),
    })),
    fc.constant({ expect: 1, text: '{"jsonrpc":"2.0","id":{"a":[1]},"method":"job.list"}' }),
    fc.nat().map((i) => ({
      expect: 1,
      text: `{"jsonrpc":"2.0","id":${i},"method":"job.showConfig","params":{"job":"j${i % 20}"}}`,
    })),
  );
  const batches = fc.sample(fc.array(element, { minLength: 1, maxLength: 1000 }), {
    numRuns: count,
    seed,
  });
  for (const b of batches) {
    add("inputs tried");
    const want = b.reduce((n, e) => n + e.expect, 0);
    await c.send(`[${b.map((e) => e.text).join(",")}]\n`);
    if (want === 0) continue; // no answer at all
    const r = await timeout(c.response(), 30_000);
    if (r === "timeout" || r === null) {
      add(r === null ? "connections dropped" : "stalls");
      return;
    }
    if (!wellFormed(r) || !Array.isArray(r) || r.length !== want) add("bad replies");
  }
  add("inputs tried");
  const item = '{"jsonrpc":"2.0","id":1,"method":"job.showConfig"}';
  const r = await timeout(c.call(`[${Array(20_000).fill(item).join(",")}]`), 30_000);
  if ((r as { error?: { code: number } } | null)?.error?.code !== -32600) {
    add("bad replies");
  }
  add("inputs tried");
  const all = Array.from(
    { length: 1000 },
    (_, i) => `{"jsonrpc":"2.0","id":${i},"method":"job.showConfig"}`,
  );
  const big = await timeout(c.call(`[${all.join(",")}]`), 120_000);
  if (!Array.isArray(big) || big.length !== 1000 || !wellFormed(big)) add("bad replies");
}

/** Holds COUNT connections open, sending nothing, until stdin closes. */
async function hold(): Promise<void> {
  const held: Deno.UnixConn[] = [];
  for (let i = 0; i < count; i++) {
    try {
      held.push(await Deno.connect({ transport: "unix", path }));
    } catch {
      add("refused at connect");
    }
  }
  figures["inputs tried"] = count;
  Deno.stdout.writeSync(encoder.encode(`held ${held.length}\n`));
  for await (const _ of Deno.stdin.readable) { /* until closed */ }
  for (const c of held) c.close();
}

const parts: Record<string, () => Promise<void>> = {
  malformed,
  oversized,
  slow,
  idle,
  pipelined,
  flood,
  batched,
  hold,
};
await parts[part]!();
Deno.stdout.writeSync(encoder.encode(`${JSON.stringify(figures)}\n`));
