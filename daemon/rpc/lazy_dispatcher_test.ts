// The control socket with a dispatcher loader (as the daemon gives it, so that zod loads after
// start-up): loaded once, by the first request; a loader that fails answers Internal errors and
// is tried again by the next request.
import assert from "node:assert/strict";
import { join } from "node:path";
import { connectSocket } from "../../protocol/client.ts";
import { ERROR_CODES, RpcError } from "../../protocol/errors.ts";
import { createDispatcher } from "./dispatcher.ts";
import { ControlSocketServer, type RequestDispatcher, type RpcHandlers } from "./server.ts";

const PEER = { pid: 4242, uid: 1000, gid: 1000 };

function dispatcher(): RequestDispatcher {
  const handlers = {
    "daemon.version": () => ({ upstart: "1.13.2", daybreak: "test", protocol: 1 }),
  } as Partial<RpcHandlers> as RpcHandlers;
  return createDispatcher(handlers, { authorize: () => {}, onInternalError: () => {} });
}

async function listen(load: () => Promise<RequestDispatcher>) {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "ctl.sock");
  const errors: string[] = [];
  const server = await ControlSocketServer.listen({
    path,
    dispatcher: load,
    peerLookup: () => PEER,
    createWithMode: (_mode, fn) => fn(),
    mode: 0o600,
    onClientError: (m) => errors.push(m),
  });
  return {
    path,
    errors,
    async [Symbol.asyncDispose]() {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("a dispatcher loader runs once, on the first request, which waits for it", async () => {
  let loads = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  await using s = await listen(async () => {
    loads++;
    await gate;
    return dispatcher();
  });
  assert.equal(loads, 0);
  const client = await connectSocket(s.path);
  try {
    const calls = [client.call("daemon.version", {}), client.call("daemon.version", {})];
    while (loads === 0) await new Promise((r) => setTimeout(r, 1));
    release();
    for (const r of await Promise.all(calls)) assert.equal(r.protocol, 1);
    assert.equal(loads, 1);
  } finally {
    client.close();
  }
});

Deno.test("a dispatcher that cannot be loaded answers Internal errors, and is tried again", async () => {
  let loads = 0;
  await using s = await listen(() => {
    loads++;
    return loads === 1
      ? Promise.reject(new Error("no such module"))
      : Promise.resolve(dispatcher());
  });
  const client = await connectSocket(s.path);
  try {
    await assert.rejects(
      client.call("daemon.version", {}),
      (e) => e instanceof RpcError && e.code === ERROR_CODES.Internal,
    );
    assert.match(s.errors.join("\n"), /cannot load the request dispatcher: Error: no such module/);
    assert.equal((await client.call("daemon.version", {})).protocol, 1);
    assert.equal(loads, 2);
  } finally {
    client.close();
  }
});
