import assert from "node:assert/strict";
import { isCloseOnExec } from "../../sys/libc.ts";
import { PollLoop } from "../supervisor/poll_loop.ts";
import { ClosedError, RawUnixListener } from "./raw_listener.ts";

async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  for (let n; (n = await conn.read(buf)) !== null;) chunks.push(buf.slice(0, n));
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) out.set(c, (at += c.length) - c.length);
  return out;
}

Deno.test("RawUnixListener: accepts, knows the peer from SO_PEERCRED, echoes a line", async () => {
  const dir = Deno.makeTempDirSync();
  const loop = new PollLoop();
  const listener = RawUnixListener.listen(`${dir}/sock`, loop);
  try {
    const client = await Deno.connect({ transport: "unix", path: `${dir}/sock` });
    const conn = await listener.accept();
    assert.equal(conn.peer?.pid, Deno.pid);
    assert.equal(conn.peer?.uid, Deno.uid());
    assert.equal(isCloseOnExec(conn.fd), true);
    await client.write(new TextEncoder().encode("ping\n"));
    const buf = new Uint8Array(100);
    const n = await conn.read(buf);
    assert.equal(new TextDecoder().decode(buf.subarray(0, n!)), "ping\n");
    await conn.write(new TextEncoder().encode("pong\n"));
    await conn.closeWrite();
    assert.equal(new TextDecoder().decode(await readAll(client)), "pong\n");
    client.close();
    assert.equal(await conn.read(buf), null, "end of stream once the client closed");
    conn.close();
  } finally {
    listener.close();
    await loop.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("RawConn writes megabytes to a slow reader (EAGAIN, then EPOLLOUT)", async () => {
  const dir = Deno.makeTempDirSync();
  const loop = new PollLoop();
  const listener = RawUnixListener.listen(`${dir}/sock`, loop);
  try {
    const client = await Deno.connect({ transport: "unix", path: `${dir}/sock` });
    const conn = await listener.accept();
    const data = new Uint8Array(4 * 1024 * 1024).map((_, i) => i & 0xff);
    const writing = (async () => {
      let off = 0;
      while (off < data.length) off += await conn.write(data.subarray(off));
      conn.close();
    })();
    const got = await readAll(client);
    await writing;
    assert.equal(got.length, data.length);
    assert.deepEqual(got.subarray(0, 1000), data.subarray(0, 1000));
    assert.deepEqual(got.subarray(-1000), data.subarray(-1000));
    client.close();
  } finally {
    listener.close();
    await loop.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("RawUnixListener: many clients at once; close ends a pending accept; keep across exec", async () => {
  const dir = Deno.makeTempDirSync();
  const loop = new PollLoop();
  const listener = RawUnixListener.listen(`${dir}/sock`, loop);
  try {
    const clients = await Promise.all(
      Array.from({ length: 50 }, () => Deno.connect({ transport: "unix", path: `${dir}/sock` })),
    );
    const conns = [];
    for (let i = 0; i < 50; i++) conns.push(await listener.accept());
    assert.equal(new Set(conns.map((c) => c.fd)).size, 50);
    for (const c of [...conns]) c.close();
    for (const c of clients) c.close();
    assert.equal(listener.keepAcrossExec(), listener.fd);
    assert.equal(isCloseOnExec(listener.fd), false);
    listener.keepAcrossExec(false);
    const pending = listener.accept();
    listener.close();
    await assert.rejects(pending, ClosedError);
  } finally {
    listener.close();
    await loop.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
