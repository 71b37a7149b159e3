import assert from "node:assert/strict";
import { FakeRunlevelStore } from "../../compat_sysv/_fake_store.ts";
import { UTMP_PATH, WTMP_PATH } from "../../compat_sysv/utmp_file.ts";
import { ownerAuthorizer } from "./authorize.ts";
import { afterFifo, fifoCommands } from "./fifo_commands.ts";
import type { CallContext, RpcHandlers } from "./server.ts";
import { createDispatcher } from "./dispatcher.ts";

interface Call {
  readonly method: string;
  readonly params: unknown;
  readonly uid: number | undefined;
}

/** The real dispatcher (zod schemas, authorisation) over handlers that record their calls. */
function recordingDispatcher(calls: Call[], failEmit?: Error) {
  const handlers = new Proxy({}, {
    get: (_t, method: string) => (params: unknown, ctx: CallContext) => {
      calls.push({ method, params, uid: ctx.peer?.uid });
      if (method === "event.emit" && failEmit !== undefined) throw failEmit;
      return {};
    },
  }) as RpcHandlers;
  const internal: unknown[] = [];
  const dispatcher = createDispatcher(handlers, {
    authorize: ownerAuthorizer(0),
    onInternalError: (_m, e) => internal.push(e),
  });
  return { dispatcher, internal };
}

function setUp(failEmit?: Error) {
  const calls: Call[] = [];
  const logged: string[] = [];
  const store = new FakeRunlevelStore();
  const { dispatcher } = recordingDispatcher(calls, failEmit);
  const handle = fifoCommands({
    dispatcher,
    log: (p, m) => logged.push(`${p}: ${m}`),
    telinit: { now: () => 1_700_000_000_000, kernelRelease: () => "6.1.0", store },
  });
  return { calls, logged, store, handle };
}

Deno.test("fifo commands: emit is the socket's event.emit, as root, never waiting", async () => {
  const { calls, logged, handle } = setUp();
  await handle({ kind: "emit", name: "filesystem", env: ["A=1"] });
  assert.deepEqual(calls, [{
    method: "event.emit",
    params: { name: "filesystem", env: ["A=1"], wait: false },
    uid: 0,
  }]);
  assert.deepEqual(logged, []);
});

Deno.test("fifo commands: the emit method's own checks apply, and failures are logged", async () => {
  const { calls, logged, handle } = setUp();
  // The zod schema's limit on names (the socket's InvalidParams).
  await handle({ kind: "emit", name: "x".repeat(5000), env: [] });
  assert.deepEqual(calls, []);
  assert.equal(logged.length, 1);
  assert.match(logged[0]!, /^warn: initctl\.fifo: emit x+: Invalid params/);
});

Deno.test("fifo commands: a handler's refusal is logged, not thrown", async () => {
  const { logged, handle } = setUp(new Error("boom"));
  await handle({ kind: "emit", name: "e", env: ["=bad"] });
  assert.equal(logged.length, 1);
  assert.match(logged[0]!, /^warn: initctl\.fifo: emit e: /);
});

Deno.test("fifo commands: telinit records the runlevel and emits it, as telinit does", async () => {
  const { calls, store, handle } = setUp();
  store.files.set(UTMP_PATH, new Uint8Array());
  store.files.set(WTMP_PATH, new Uint8Array());
  await handle({ kind: "telinit", args: ["2"], runlevel: "" });
  assert.deepEqual(calls, [{
    method: "event.emit",
    params: { name: "runlevel", env: ["RUNLEVEL=2", "PREVLEVEL=N"], wait: false },
    uid: 0,
  }]);
  assert.equal((await store.read(UTMP_PATH))?.runlevel, "2");
  // Without $RUNLEVEL, the previous level comes from utmp.
  calls.length = 0;
  await handle({ kind: "telinit", args: ["3"] });
  assert.deepEqual(calls[0]?.params, {
    name: "runlevel",
    env: ["RUNLEVEL=3", "PREVLEVEL=2"],
    wait: false,
  });
});

Deno.test("fifo commands: telinit q and u are reload and re-exec; bad ones are logged", async () => {
  const { calls, logged, handle } = setUp();
  await handle({ kind: "telinit", args: ["q"] });
  await handle({ kind: "telinit", args: ["U"] });
  assert.deepEqual(calls.map((c) => c.method), ["conf.reload", "daemon.reexec"]);
  await handle({ kind: "telinit", args: ["7"] });
  await handle({ kind: "telinit", args: ["-x", "2"] });
  assert.equal(calls.length, 2);
  assert.ok(logged.some((l) => l.startsWith("warn: telinit: illegal runlevel: 7")), logged.join());
  assert.ok(logged.some((l) => l.startsWith("warn: telinit: unrecognized option '-x'")));
});

Deno.test("fifo commands: socket handlers wait for the FIFO's earlier lines", async () => {
  const order: string[] = [];
  let release!: () => void;
  const fifo = {
    caughtUp: () => {
      order.push("caught up?");
      return new Promise<void>((resolve) => (release = resolve)).then(() => {
        order.push("lines handled");
      });
    },
  };
  const handlers = { "daemon.version": () => ({}) } as unknown as RpcHandlers;
  const wrapped = afterFifo(handlers, fifo);
  const ctx: CallContext = { peer: null, signal: new AbortController().signal };
  const call = Promise.resolve(wrapped["daemon.version"]({}, ctx)).then(() => order.push("call"));
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(order, ["caught up?"]);
  release();
  await call;
  assert.deepEqual(order, ["caught up?", "lines handled", "call"]);
});

Deno.test("fifo commands: a stuck FIFO line does not stall the socket for long", async () => {
  const handlers = { "daemon.version": () => ({ ok: true }) } as unknown as RpcHandlers;
  const wrapped = afterFifo(handlers, { caughtUp: () => new Promise<void>(() => {}) }, 20);
  const ctx: CallContext = { peer: null, signal: new AbortController().signal };
  assert.deepEqual(await wrapped["daemon.version"]({}, ctx), { ok: true });
});
