// The RPC handlers driven through the interface they take (`HandlerServices`), with a fake
// engine and driver: method → engine call, and engine errors → protocol errors by code.
import assert from "node:assert/strict";
import { parseJobConfig } from "../../parser/parse_job.ts";
import type { JobClassSpec } from "../../parser/types.ts";
import { ERROR_CODES, type ErrorName, RpcError } from "../../protocol/errors.ts";
import type { Method, Params, Result, SeeingMethod } from "../../protocol/methods.ts";
import type { RequestOptions } from "../engine/engine.ts";
import { EngineError } from "../engine/errors.ts";
import type { Effect, Instance, NotifyResult, StatusEntry, WaiterId } from "../engine/types.ts";
import {
  createHandlers,
  type HandlerDriver,
  type HandlerEngine,
  type HandlerServices,
  toRpcError,
} from "./handlers.ts";
import type { CallContext } from "./server.ts";

/** One engine call, as the fake engine saw it. */
interface Call {
  readonly method: string;
  readonly job: string;
  readonly env: readonly string[];
  readonly opts: RequestOptions;
}

/**
 * An engine that knows a fixed set of statuses. `failWith` makes the next request throw;
 * every request is recorded.
 */
class FakeEngine implements HandlerEngine {
  readonly calls: Call[] = [];
  readonly statuses: StatusEntry[] = [];
  readonly instanceEnv = new Map<string, string[]>();
  globalEnv: string[] = ["PATH=/bin"];
  classes: JobClassSpec[] = [];
  failWith: EngineError | null = null;

  #request(method: string, job: string, env: readonly string[], opts: RequestOptions): Effect[] {
    this.calls.push({ method, job, env: [...env], opts });
    const failure = this.failWith;
    this.failWith = null;
    if (failure !== null) throw failure;
    return [];
  }

  start(job: string, env: readonly string[] = [], opts: RequestOptions = {}): Effect[] {
    return this.#request("start", job, env, opts);
  }
  stop(job: string, env: readonly string[] = [], opts: RequestOptions = {}): Effect[] {
    return this.#request("stop", job, env, opts);
  }
  restart(job: string, env: readonly string[] = [], opts: RequestOptions = {}): Effect[] {
    return this.#request("restart", job, env, opts);
  }
  reload(job: string, env: readonly string[] = [], opts: RequestOptions = {}): Effect[] {
    return this.#request("reload", job, env, opts);
  }
  emit(name: string, env: readonly string[] = [], opts: RequestOptions = {}): Effect[] {
    return this.#request("emit", name, env, opts);
  }
  status(job: string, env: readonly string[] = [], opts: RequestOptions = {}): StatusEntry {
    this.#request("status", job, env, opts);
    if (!this.statuses.some((s) => s.job === job)) throw EngineError.unknownJob(job);
    const name = opts.instance ?? env.find((e) => e.startsWith("N="))?.slice(2) ?? "";
    const found = this.statuses.find((s) => s.job === job && s.instance === name);
    if (found === undefined) throw EngineError.unknownInstance(job, name);
    return found;
  }
  list(): StatusEntry[] {
    return [...this.statuses];
  }
  instancesOf(job: string): Instance[] {
    if (!this.statuses.some((s) => s.job === job)) throw EngineError.unknownJob(job);
    // The handlers read only `name` and `env` of an instance.
    return [...this.instanceEnv].filter(([key]) => key.startsWith(`${job}/`)).map((
      [key, env],
    ) => ({ name: key.slice(job.length + 1), env } as unknown as Instance));
  }
  editInstanceEnv(job: string, instance: string, edit: (env: string[]) => string[]): void {
    const key = `${job}/${instance}`;
    const env = this.instanceEnv.get(key);
    if (env === undefined) throw EngineError.unknownInstance(job, instance);
    this.instanceEnv.set(key, edit([...env]));
  }
  getGlobalEnv(): string[] {
    return [...this.globalEnv];
  }
  setGlobalEnv(env: readonly string[]): void {
    this.globalEnv = [...env];
  }
  getClass(name: string): JobClassSpec | undefined {
    return this.classes.find((c) => c.name === name);
  }
}

/** A driver that runs requests on the fake engine and lets the test settle waiters. */
class FakeDriver implements HandlerDriver {
  readonly engine = new FakeEngine();
  readonly waiters = new Map<WaiterId, (r: NotifyResult) => void>();
  readonly dropped: WaiterId[] = [];
  #next = 1;

  run(request: (engine: HandlerEngine) => Effect[]): void {
    request(this.engine);
  }
  waiter(): { id: WaiterId; done: Promise<NotifyResult> } {
    const id = `w${this.#next++}`;
    const done = new Promise<NotifyResult>((resolve) => this.waiters.set(id, resolve));
    return { id, done };
  }
  dropWaiter(id: WaiterId): void {
    this.waiters.delete(id);
    this.dropped.push(id);
  }
  /** Settles the one waiter registered. */
  notify(result: NotifyResult): void {
    assert.equal(this.waiters.size, 1);
    const [[id, resolve]] = [...this.waiters] as [[WaiterId, (r: NotifyResult) => void]];
    this.waiters.delete(id);
    resolve(result);
  }
}

function services(overrides: Partial<HandlerServices> = {}): HandlerServices & {
  driver: FakeDriver;
} {
  const driver = new FakeDriver();
  return {
    driver,
    jobs: () => driver.engine.classes,
    confProblems: () => [],
    reloadConfiguration: () => Promise.resolve(),
    logPriority: "message",
    version: "9.9.9",
    pid1: false,
    initialGlobalEnv: ["PATH=/bin", "TERM=linux"],
    logDir: "/var/log/daybreak",
    defaultConsole: "log",
    notifyDiskWriteable: () => {},
    ...overrides,
  } as HandlerServices & { driver: FakeDriver };
}

function ctx(signal: AbortSignal = new AbortController().signal): CallContext {
  return { peer: { pid: 1, uid: 0, gid: 0 }, signal };
}

function status(job: string, instance = "", goal: "start" | "stop" = "start"): StatusEntry {
  return {
    job,
    instance,
    goal,
    state: goal === "start" ? "running" : "waiting",
    processes: goal === "start" ? [{ process: "main", pid: 42 }] : [],
  };
}

async function call<M extends Exclude<Method, SeeingMethod>>(
  s: HandlerServices,
  method: M,
  params: Params<M>,
  context: CallContext = ctx(),
): Promise<Result<M>> {
  const handler = createHandlers(s)[method] as (p: Params<M>, c: CallContext) => unknown;
  return await handler(params, context) as Result<M>;
}

async function rejectsWith(
  p: Promise<unknown>,
  name: ErrorName,
  message: string,
): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof RpcError, `not an RpcError: ${String(e)}`);
    assert.equal(e.codeName, name);
    assert.equal(e.code, ERROR_CODES[name]);
    assert.equal(e.message, message);
    return true;
  });
}

Deno.test("job.start without waiting calls the engine and answers the instance's status", async () => {
  const s = services();
  s.driver.engine.statuses.push(status("web", "a"));
  const r = await call(s, "job.start", { job: "web", env: ["N=a"], wait: false });
  assert.deepEqual(r.status, {
    job: "web",
    instance: "a",
    goal: "start",
    state: "running",
    processes: [{ process: "main", pid: 42 }],
  });
  assert.deepEqual(s.driver.engine.calls[0], {
    method: "start",
    job: "web",
    env: ["N=a"],
    opts: {},
  });
});

Deno.test("job.stop with an instance name addresses it directly", async () => {
  const s = services();
  s.driver.engine.statuses.push(status("web", "b", "stop"));
  await call(s, "job.stop", { job: "web", env: [], wait: false, instance: "b" });
  assert.deepEqual(s.driver.engine.calls.map((c) => [c.method, c.opts]), [
    ["stop", { instance: "b" }],
    ["status", { instance: "b" }],
  ]);
});

Deno.test("a waiting job.start answers the status the waiter was told", async () => {
  const s = services();
  const answer = call(s, "job.start", { job: "web", env: [], wait: true });
  assert.equal(s.driver.engine.calls[0]?.opts.waiterId, "w1");
  s.driver.notify({ ok: true, status: status("web") });
  assert.equal((await answer).status.state, "running");
});

Deno.test("a failed wait becomes the protocol error of the engine's code", async () => {
  const s = services();
  const answer = call(s, "job.restart", { job: "web", env: [], wait: true });
  s.driver.notify({ ok: false, code: "JobFailed", message: "Job failed to restart" });
  await rejectsWith(answer, "JobFailed", "Job failed to restart");

  const emitted = call(s, "event.emit", { name: "go", env: [], wait: true });
  s.driver.notify({ ok: false, code: "EventFailed", message: "Event failed" });
  await rejectsWith(emitted, "EventFailed", "Event failed");
});

Deno.test("a client that goes away stops the wait and drops its waiter", async () => {
  const s = services();
  s.driver.engine.statuses.push(status("web"));
  const gone = new AbortController();
  const answer = call(s, "job.start", { job: "web", env: [], wait: true }, ctx(gone.signal));
  gone.abort();
  assert.equal((await answer).status.instance, "");
  assert.deepEqual(s.driver.dropped, ["w1"]);
});

Deno.test("a refused request drops its waiter and throws the mapped error", async () => {
  const s = services();
  s.driver.engine.failWith = EngineError.alreadyStarted("web", "web");
  await rejectsWith(
    call(s, "job.start", { job: "web", env: [], wait: true }),
    "AlreadyStarted",
    "Job is already running: web",
  );
  assert.deepEqual(s.driver.dropped, ["w1"]);
});

Deno.test("engine errors keep their text and travel by their protocol error", async () => {
  const cases: [EngineError, ErrorName, string][] = [
    [EngineError.unknownJob("x"), "UnknownJob", "Unknown job: x"],
    [EngineError.unknownInstance("x", ""), "UnknownInstance", "Unknown instance: "],
    [
      EngineError.alreadyStopped("x", "x (a)"),
      "AlreadyStopped",
      "Job has already been stopped: x (a)",
    ],
    [EngineError.notRunning("x", "x"), "NotRunning", "Job is not running: x"],
    [EngineError.badEnv(), "InvalidEnv", "Env must be KEY=VALUE pairs"],
    [EngineError.emptyName(), "EmptyName", "Name may not be empty string"],
    [
      EngineError.expansion("x", "Unknown parameter: N", "x N=VALUE"),
      "UnknownParameter",
      "Unknown parameter: N\nUsage: x N=VALUE",
    ],
    [
      EngineError.expansion("x", "Unknown parameter: N", null),
      "UnknownParameter",
      "Unknown parameter: N",
    ],
  ];
  for (const [error, name, message] of cases) {
    const s = services();
    s.driver.engine.failWith = error;
    await rejectsWith(call(s, "job.reload", { job: "x", env: [] }), name, message);
  }
});

Deno.test("the mapping reads the code, never the message", () => {
  // Same text as emptyName(), but an invalid-argument error that names no other protocol error.
  const e = toRpcError(new EngineError("InvalidArgs", "Name may not be empty string"));
  assert.ok(e instanceof RpcError);
  assert.equal(e.codeName, "InvalidEnv");
  const other = toRpcError(new EngineError("UnknownInstance", "anything at all"));
  assert.ok(other instanceof RpcError);
  assert.equal(other.codeName, "UnknownInstance");
  const plain = new TypeError("bug");
  assert.equal(toRpcError(plain), plain);
});

Deno.test("job.list lists jobs without instances with none", async () => {
  const s = services();
  s.driver.engine.statuses.push(status("idle", "", "stop"), status("web", "a"), status("web", "b"));
  const r = await call(s, "job.list", {});
  assert.deepEqual(r.jobs.map((j) => [j.job, j.instances.map((i) => i.instance)]), [
    ["idle", []],
    ["web", ["a", "b"]],
  ]);
});

Deno.test("job.logPath names the log of an instance that has finished", async () => {
  const s = services();
  s.driver.engine.statuses.push(status("task", "other"));
  s.driver.engine.classes = [parseJobConfig("instance $N\ntask\nexec true\n", { name: "task" })];
  const r = await call(s, "job.logPath", { job: "task", env: ["N=done"] });
  assert.equal(r.path, "/var/log/daybreak/task-done.log");
  await rejectsWith(
    call(s, "job.logPath", { job: "nosuch", env: [] }),
    "UnknownJob",
    "Unknown job: nosuch",
  );
  const noLogs = services({ logDir: null });
  noLogs.driver.engine.statuses.push(status("task"));
  assert.equal((await call(noLogs, "job.logPath", { job: "task", env: [] })).path, null);
});

Deno.test("configuration queries refuse unknown jobs with Upstart's texts", async () => {
  const s = services();
  s.driver.engine.classes = [parseJobConfig('usage "web PORT=N"\nexec d\n', { name: "web" })];
  await rejectsWith(call(s, "job.showConfig", { job: "no" }), "UnknownJob", "Unknown job: no");
  await rejectsWith(
    call(s, "job.checkConfig", { job: "no", ignoreEvents: [], warn: false }),
    "InvalidJobClass",
    "Invalid job class: no",
  );
  await rejectsWith(call(s, "job.usage", { job: "no" }), "UnknownJob", "Unknown job: no");
  assert.equal((await call(s, "job.usage", { job: "web" })).usage, "web PORT=N");
  assert.deepEqual((await call(s, "job.showConfig", {})).jobs.map((j) => j.name), ["web"]);
});

Deno.test("daemon.logPriority sets a known priority and refuses others", async () => {
  const s = services();
  assert.deepEqual(await call(s, "daemon.logPriority", { priority: "debug" }), {
    priority: "debug",
  });
  assert.equal(s.logPriority, "debug");
  await rejectsWith(
    call(s, "daemon.logPriority", { priority: "loud" }),
    "InvalidPriority",
    "The log priority given was not recognised",
  );
  assert.equal((await call(s, "daemon.version", {})).daybreak, "9.9.9");
});

Deno.test("env methods edit the global table or the caller's instance", async () => {
  const s = services();
  s.driver.engine.statuses.push(status("web", "a"));
  s.driver.engine.instanceEnv.set("web/a", ["A=1"]);
  await call(s, "env.set", { vars: ["X=1", "Y"], retain: false, global: false });
  assert.deepEqual(s.driver.engine.globalEnv, ["PATH=/bin", "X=1", "Y="]);
  await call(s, "env.set", { vars: ["X=2"], retain: true, global: false });
  assert.equal((await call(s, "env.get", { name: "X", global: false })).value, "1");
  const caller = { job: "web", instance: "a" };
  await call(s, "env.set", { vars: ["B=2"], retain: false, caller, global: false });
  assert.deepEqual((await call(s, "env.list", { caller, global: false })).env, ["A=1", "B=2"]);
  await rejectsWith(
    call(s, "env.unset", { names: ["NOPE"], global: false }),
    "NoSuchVariable",
    "No such variable: NOPE",
  );
  await rejectsWith(
    call(s, "env.get", { name: "A", caller: { job: "web", instance: "z" }, global: false }),
    "UnknownInstance",
    "Unknown instance: z",
  );
  await call(s, "env.reset", { global: false });
  assert.deepEqual(s.driver.engine.globalEnv, ["PATH=/bin", "TERM=linux"]);
});

Deno.test("PID 1 refuses job-environment edits", async () => {
  const s = services({ pid1: true });
  await rejectsWith(
    call(s, "env.set", { vars: ["X=1"], retain: false, global: false }),
    "NotPermissible",
    "Not permissible to modify PID 1 job environment",
  );
  assert.deepEqual(s.driver.engine.globalEnv, ["PATH=/bin"]);
});
