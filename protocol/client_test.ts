// The protocol client against an in-process unix socket that answers as the test says:
// answers split over writes, several in one write, errors, and a peer that hangs up.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConnectionError, connectSocket, RpcError } from "./client.ts";

/** A one-connection server: `answer` gets each request line and writes what it likes. */
async function withServer(
  answer: (line: string, conn: Deno.UnixConn) => Promise<void>,
  body: (path: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "s.sock");
  const listener = Deno.listen({ transport: "unix", path });
  const served = (async () => {
    const conn = await listener.accept();
    const buf = new Uint8Array(65536);
    let held = "";
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        held += new TextDecoder().decode(buf.subarray(0, n));
        let nl;
        while ((nl = held.indexOf("\n")) >= 0) {
          const line = held.slice(0, nl);
          held = held.slice(nl + 1);
          await answer(line, conn);
        }
      }
    } catch {
      // closed by the answer
    } finally {
      try {
        conn.close();
      } catch { /* closed already */ }
    }
  })();
  try {
    await body(path);
  } finally {
    listener.close();
    await served;
    await Deno.remove(dir, { recursive: true });
  }
}

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("answers split across writes and errors come back typed", async () => {
  await withServer(async (line, conn) => {
    const { id, method } = JSON.parse(line);
    if (method === "daemon.version") {
      const text = JSON.stringify({
        jsonrpc: "2.0",
        id,
        result: { upstart: "é", daybreak: "x", protocol: 1 },
      });
      const bytes = enc(`${text}\n`);
      const cut = bytes.indexOf(0xc3) + 1; // in the middle of a two-byte character
      await conn.write(bytes.subarray(0, cut));
      await new Promise((r) => setTimeout(r, 10));
      await conn.write(bytes.subarray(cut));
    } else {
      await conn.write(
        enc(
          `${
            JSON.stringify({
              jsonrpc: "2.0",
              id,
              error: { code: -32001, message: "Unknown job: x" },
            })
          }\n`,
        ),
      );
    }
  }, async (path) => {
    const client = await connectSocket(path);
    assert.equal((await client.call("daemon.version", {})).upstart, "é");
    await assert.rejects(client.call("job.usage", { job: "x" }), (e: unknown) => {
      assert.ok(e instanceof RpcError);
      assert.equal(e.codeName, "UnknownJob");
      assert.equal(e.message, "Unknown job: x");
      return true;
    });
    client.close();
  });
});

Deno.test("a daemon that hangs up before answering fails the call", async () => {
  await withServer((_line, conn) => {
    conn.close();
    return Promise.resolve();
  }, async (path) => {
    const client = await connectSocket(path);
    await assert.rejects(
      client.call("daemon.version", {}),
      (e: unknown) =>
        e instanceof ConnectionError && e.path === path &&
        (e.message === "The daemon closed the connection before answering" ||
          e.message.startsWith("Lost connection to the daemon: ")),
    );
    client.close();
  });
});

Deno.test("connectSocket() names the socket that does not answer", async () => {
  await assert.rejects(
    connectSocket("/nonexistent/dir/s.sock"),
    (e: unknown) =>
      e instanceof ConnectionError &&
      e.message === "/nonexistent/dir/s.sock: No such file or directory",
  );
});
