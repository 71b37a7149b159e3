/**
 * RPC method → engine call (see `docs/rpc.md`). No sockets here: each handler
 * gets validated params and returns a result or throws an `RpcError` from the
 * protocol's error table. Engine errors are mapped by their code, never by
 * their text.
 *
 * @module
 */

import { checkConfig } from "../check_config.ts";
import type { ConfLoadProblem } from "../conf/conf_loader.ts";
import { jobClassFields, type Json } from "../../parser/fields.ts";
import { conditionLeaves, exprDepth, renderEventExpr } from "../../parser/render.ts";
import type { EventExpr, JobClassSpec } from "../../parser/types.ts";
import type { Engine, RequestOptions } from "../engine/engine.ts";
import { EngineError, PROTOCOL_ERROR_OF } from "../engine/errors.ts";
import type { Effect, NotifyResult, StatusEntry, WaiterId } from "../engine/types.ts";
import { LOG_PRIORITIES, type LogPriority } from "../options.ts";
import { logFilePath } from "../supervisor/log_file.ts";
import { RpcError } from "../../protocol/errors.ts";
import {
  type EventExprJson,
  type InstanceStatus,
  type JobConfig,
  MAX_WIRE_EXPR_DEPTH,
  type PowerAction,
  PROTOCOL_VERSION,
} from "../../protocol/methods.ts";
import { PUBLIC_VARIABLES, REDACTED, redactEntry } from "./env_policy.ts";
import type { CallContext, RpcHandlers } from "./server.ts";
import type { SeeingMethod } from "../../protocol/methods.ts";

/** The engine calls the handlers make. */
export type HandlerEngine = Pick<
  Engine,
  | "start"
  | "stop"
  | "restart"
  | "reload"
  | "emit"
  | "status"
  | "list"
  | "instancesOf"
  | "editInstanceEnv"
  | "getGlobalEnv"
  | "setGlobalEnv"
  | "getClass"
>;

/** What the handlers need of the engine driver (`EngineDriver` is one; tests pass a fake). */
export interface HandlerDriver {
  readonly engine: HandlerEngine;
  /** Runs a mutating engine call and applies its effects. */
  run(request: (engine: HandlerEngine) => Effect[]): void;
  /** Registers a waiter, told when a request made with its id finishes. */
  waiter(): { id: WaiterId; done: Promise<NotifyResult> };
  dropWaiter(id: WaiterId): void;
}

/** What the handlers need from the daemon. */
export interface HandlerServices {
  readonly driver: HandlerDriver;
  /** The registered job classes (the latest configuration). */
  jobs(): readonly JobClassSpec[];
  /** Problems of the latest configuration load. */
  confProblems(): readonly ConfLoadProblem[];
  reloadConfiguration(): Promise<void>;
  logPriority: LogPriority;
  readonly version: string;
  /** PID 1 refuses job-environment edits (see docs/tools.md#environment-commands). */
  readonly pid1: boolean;
  /** The global table as it was at start-up, for `reset-env`. */
  readonly initialGlobalEnv: readonly string[];
  readonly logDir: string | null;
  readonly defaultConsole: string;
  notifyDiskWriteable(): void;
  /**
   * The instance owner (user mode) besides root, who sees environment values and job text
   * (`docs/rpc.md#who-sees-what`). @default 0: root only
   */
  readonly ownerUid?: number;
  /** Starts the final phase of a shutdown (PID 1 only); absent elsewhere. */
  shutdown?(action: PowerAction): void;
  /** Re-executes the daemon keeping its jobs, after the answer is sent (docs/reexec.md). */
  reexec?(): void;
}

/** The one map from engine errors to wire errors: by the error's code, never its text. */
export function toRpcError(e: unknown): unknown {
  if (!(e instanceof EngineError)) return e;
  const usage = typeof e.data.usage === "string" ? `\nUsage: ${e.data.usage}` : "";
  return new RpcError(e.error, `${e.message}${usage}`);
}

/** Runs an engine call, throwing its refusal as an `RpcError`. */
function engineCall<T>(call: () => T): T {
  try {
    return call();
  } catch (e) {
    throw toRpcError(e);
  }
}

function wire(s: StatusEntry): InstanceStatus {
  return {
    job: s.job,
    instance: s.instance,
    goal: s.goal,
    state: s.state,
    processes: s.processes.map((p) => ({ process: p.process, pid: p.pid })),
  };
}

function select(p: { instance?: string | undefined }): RequestOptions {
  return p.instance === undefined ? {} : { instance: p.instance };
}

/** Runs a request that may wait for completion; maps failures to RpcErrors. */
async function request(
  s: HandlerServices,
  ctx: CallContext,
  wait: boolean,
  call: (engine: HandlerEngine, opts: RequestOptions) => Effect[],
): Promise<NotifyResult | null> {
  if (!wait) {
    engineCall(() => s.driver.run((engine) => call(engine, {})));
    return null;
  }
  const w = s.driver.waiter();
  try {
    s.driver.run((engine) => call(engine, { waiterId: w.id }));
  } catch (e) {
    s.driver.dropWaiter(w.id);
    throw toRpcError(e);
  }
  // A client that goes away stops waiting (the request itself goes on): the call then ends as
  // a `wait: false` one would, so that its connection can be closed. A dropped waiter is never
  // notified, so its promise alone would never settle.
  let onAbort = () => {};
  const gone = new Promise<null>((resolve) => {
    onAbort = () => {
      s.driver.dropWaiter(w.id);
      resolve(null);
    };
  });
  if (ctx.signal.aborted) onAbort();
  else ctx.signal.addEventListener("abort", onAbort, { once: true });
  try {
    const result = await Promise.race([w.done, gone]);
    if (result === null) return null;
    if (!result.ok) throw new RpcError(PROTOCOL_ERROR_OF[result.code], result.message);
    return result;
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
  }
}

function statusOrThrow(engine: HandlerEngine, job: string, env: string[], opts: RequestOptions) {
  return engineCall(() => wire(engine.status(job, env, opts)));
}

/**
 * The status of an instance after a request that succeeded. An instance that is already gone
 * (a `--no-wait` start whose process failed at once) is shown as Upstart's initctl shows an
 * instance that vanished under it: `JOB stop/waiting`, not `Unknown instance` (see
 * docs/tools.md#job-commands).
 */
function statusAfter(
  engine: HandlerEngine,
  job: string,
  env: string[],
  opts: RequestOptions,
): InstanceStatus {
  try {
    return wire(engine.status(job, env, opts));
  } catch (e) {
    if (e instanceof EngineError && e.code === "UnknownInstance") {
      return { job, instance: "", goal: "stop", state: "waiting", processes: [] };
    }
    throw toRpcError(e);
  }
}

/** Builds every handler. */
export function createHandlers(s: HandlerServices): Omit<RpcHandlers, SeeingMethod> {
  const engine = s.driver.engine;
  // Whether the caller sees environment values and job text: root and the owner only. A
  // client-supplied `caller` changes nothing here: the peer's uid alone decides.
  const privileged = (ctx: CallContext) =>
    ctx.peer !== null && (ctx.peer.uid === 0 || ctx.peer.uid === (s.ownerUid ?? 0));
  const jobControl = (method: "start" | "stop" | "restart") =>
  async (
    p: { job: string; env: string[]; wait: boolean; instance?: string | undefined },
    ctx: CallContext,
  ) => {
    const sel = select(p);
    const r = await request(s, ctx, p.wait, (e, o) => e[method](p.job, p.env, { ...o, ...sel }));
    if (r !== null && r.ok && r.status !== null) return { status: wire(r.status) };
    return { status: statusAfter(engine, p.job, method === "stop" ? [] : p.env, sel) };
  };

  const callerEnv = (caller: { job: string; instance: string }) => {
    const inst = engineCall(() => engine.instancesOf(caller.job)).find((i) =>
      i.name === caller.instance
    );
    if (inst === undefined) throw RpcError.of("UnknownInstance", { instance: caller.instance });
    return [...inst.env];
  };
  const editEnv = (
    p: { caller?: { job: string; instance: string } | undefined; global: boolean },
    edit: (env: string[]) => string[],
  ) => {
    if (s.pid1) throw RpcError.of("NotPermissible");
    const caller = p.caller;
    if (caller !== undefined && !p.global) {
      engineCall(() => engine.editInstanceEnv(caller.job, caller.instance, edit));
      return;
    }
    engine.setGlobalEnv(edit(engine.getGlobalEnv()));
    if (p.global) {
      for (const job of s.jobs()) {
        for (const inst of safeInstances(engine, job.name)) {
          engine.editInstanceEnv(job.name, inst, edit);
        }
      }
    }
  };
  const readEnv = (
    p: { caller?: { job: string; instance: string } | undefined; global: boolean },
  ) => p.caller !== undefined && !p.global ? callerEnv(p.caller) : engine.getGlobalEnv();

  return {
    "job.start": jobControl("start"),
    "job.stop": jobControl("stop"),
    "job.restart": jobControl("restart"),
    "job.reload": (p) => {
      engineCall(() => s.driver.run((e) => e.reload(p.job, p.env, select(p))));
      return {};
    },
    "job.status": (p) => ({ status: statusOrThrow(engine, p.job, p.env, select(p)) }),
    "job.list": () => {
      const byJob = new Map<string, InstanceStatus[]>();
      for (const st of engine.list()) {
        const list = byJob.get(st.job) ?? [];
        // The engine's `JOB stop/waiting` line for a job without instances is not an instance:
        // such a job is listed with none (instances only exist until they return to waiting).
        if (!isIdleLine(st)) list.push(wire(st));
        byJob.set(st.job, list);
      }
      return { jobs: [...byJob].map(([job, instances]) => ({ job, instances })) };
    },
    "job.showConfig": (p, ctx) => {
      const all = s.jobs();
      const chosen = p.job === undefined ? all : all.filter((j) => j.name === p.job);
      if (p.job !== undefined && chosen.length === 0) {
        throw RpcError.of("UnknownJob", { job: p.job });
      }
      const full = privileged(ctx);
      return { jobs: chosen.map((j) => jobConfig(j, full)) };
    },
    "job.checkConfig": (p) => {
      const all = s.jobs();
      if (p.job !== undefined && !all.some((j) => j.name === p.job)) {
        throw RpcError.of("InvalidJobClass", { job: p.job });
      }
      const jobs = checkEach(all, { ignoreEvents: p.ignoreEvents, warn: p.warn }, p.job);
      const files = s.confProblems()
        .filter((f) => p.job === undefined || f.job === p.job)
        .map((f) => ({ file: f.file, job: f.job, message: f.message }));
      return { jobs, files };
    },
    "job.usage": (p) => {
      const cls = s.jobs().find((j) => j.name === p.job);
      if (cls === undefined) throw RpcError.of("UnknownJob", { job: p.job });
      return { usage: cls.usage ?? "" };
    },
    "job.logPath": (p) => {
      const instance = instanceName(engine, p.job, p.env, select(p));
      const cls = engine.getClass(p.job);
      const console = cls?.console ?? s.defaultConsole;
      if (s.logDir === null || console !== "log") return { path: null };
      return { path: logFilePath(s.logDir, p.job, instance) };
    },
    "event.emit": async (p, ctx) => {
      await request(s, ctx, p.wait, (e, o) => e.emit(p.name, p.env, o));
      return {};
    },
    "conf.reload": async () => {
      await s.reloadConfiguration();
      return {};
    },
    "daemon.version": () => ({
      upstart: "1.13.2",
      daybreak: s.version,
      protocol: PROTOCOL_VERSION,
    }),
    "daemon.logPriority": (p) => {
      if (p.priority !== undefined) {
        if (!(LOG_PRIORITIES as readonly string[]).includes(p.priority)) {
          throw RpcError.of("InvalidPriority");
        }
        s.logPriority = p.priority as LogPriority;
      }
      return { priority: s.logPriority };
    },
    "daemon.shutdown": (p) => {
      // Only PID 1 has a machine to shut down.
      if (s.shutdown === undefined) throw RpcError.of("MethodNotFound");
      s.shutdown(p.action);
      return {};
    },
    "daemon.reexec": () => {
      if (s.reexec === undefined) throw RpcError.of("MethodNotFound");
      s.reexec();
      return {};
    },
    "daemon.notifyDiskWriteable": () => {
      s.notifyDiskWriteable();
      return {};
    },
    "env.list": (p, ctx) => {
      const env = privileged(ctx) ? [...readEnv(p)] : readEnv(p).map(redactEntry);
      return { env: env.sort() };
    },
    "env.get": (p, ctx) => {
      const prefix = `${p.name}=`;
      const entry = readEnv(p).findLast((e) => e.startsWith(prefix));
      if (entry === undefined) throw RpcError.of("NoSuchVariable", { name: p.name });
      if (!privileged(ctx) && !PUBLIC_VARIABLES.has(p.name)) {
        throw RpcError.of("PermissionDenied", { what: `read variable: ${p.name}` });
      }
      return { value: entry.slice(prefix.length) };
    },
    "env.set": (p) => {
      editEnv(p, (env) => {
        for (const v of p.vars) {
          const entry = v.includes("=") ? v : `${v}=`;
          const key = entry.slice(0, entry.indexOf("="));
          const at = env.findIndex((e) => e.startsWith(`${key}=`));
          if (at >= 0 && p.retain) continue;
          if (at >= 0) env[at] = entry;
          else env.push(entry);
        }
        return env;
      });
      return {};
    },
    "env.unset": (p) => {
      const missing = p.names.find((n) => !readEnv(p).some((e) => e.startsWith(`${n}=`)));
      if (missing !== undefined) {
        throw RpcError.of("NoSuchVariable", { name: missing });
      }
      editEnv(p, (env) => env.filter((e) => !p.names.some((n) => e.startsWith(`${n}=`))));
      return {};
    },
    "env.reset": (p) => {
      editEnv(p, () => [...s.initialGlobalEnv]);
      return {};
    },
  };
}

/**
 * One job as `job.showConfig` sends it: conditions as text and flat leaves, trees only when
 * shallow, so that no reply nests deeper than {@linkcode MAX_WIRE_EXPR_DEPTH}. A job that cannot
 * be shown gets its own `error`; the others are still sent. Without `full`, environment values
 * and process text are hidden (`docs/rpc.md#who-sees-what`).
 */
function jobConfig(j: JobClassSpec, full: boolean): JobConfig {
  try {
    const fields = jobClassFields(j);
    return {
      name: j.name,
      emits: [...j.emits],
      startOn: wireTree(j.startOn),
      stopOn: wireTree(j.stopOn),
      file: j.file,
      fields: full ? fields : redactFields(fields),
      startOnText: j.startOn === null ? null : renderEventExpr(j.startOn),
      stopOnText: j.stopOn === null ? null : renderEventExpr(j.stopOn),
      startOnLeaves: j.startOn === null ? [] : conditionLeaves(j.startOn).map(wireLeaf),
      stopOnLeaves: j.stopOn === null ? [] : conditionLeaves(j.stopOn).map(wireLeaf),
    };
  } catch (e) {
    const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return {
      name: j.name,
      emits: [],
      startOn: null,
      stopOn: null,
      file: j.file,
      fields: {},
      error,
    };
  }
}

function wireTree(expr: EventExpr | null): EventExprJson | null {
  return expr === null || exprDepth(expr) > MAX_WIRE_EXPR_DEPTH ? null : expr as EventExprJson;
}

function wireLeaf(l: { event: string; job: string | null; env: readonly string[] }) {
  return { event: l.event, job: l.job, env: [...l.env] };
}

/** The `fields` a caller other than root and the owner sees: no values, no process text. */
function redactFields(fields: { [key: string]: Json }): { [key: string]: Json } {
  const out = { ...fields };
  if (Array.isArray(fields.env)) {
    out.env = fields.env.map((e) => typeof e === "string" ? redactEntry(e) : e);
  }
  if (fields.processes !== undefined && fields.processes !== null) {
    const hidden: { [key: string]: Json } = {};
    for (const slot of Object.keys(fields.processes as object)) {
      hidden[slot] = {
        script: (fields.processes as Record<string, { script: Json }>)[slot]!.script,
        command: REDACTED,
      };
    }
    out.processes = hidden;
  }
  return out;
}

/** `checkConfig` job by job when the whole fails, so one bad job cannot fail the reply. */
function checkEach(
  all: readonly JobClassSpec[],
  options: { ignoreEvents: string[]; warn: boolean },
  job: string | undefined,
) {
  try {
    return checkConfig(all, options, job);
  } catch {
    const names = job === undefined ? all.map((j) => j.name) : [job];
    return names.flatMap((name) => {
      try {
        return checkConfig(all, options, name);
      } catch (e) {
        const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
        return [{ job: name, problems: [`cannot be checked: ${message}`] }];
      }
    });
  }
}

function safeInstances(engine: HandlerEngine, job: string): string[] {
  try {
    return engine.instancesOf(job).map((i) => i.name);
  } catch {
    return [];
  }
}

/** The placeholder status `Engine.list()` gives a job that has no instance. */
function isIdleLine(s: StatusEntry): boolean {
  return s.goal === "stop" && s.state === "waiting" && s.instance === "" &&
    s.processes.length === 0;
}

/**
 * The instance name a request selects, whether or not that instance is alive: the log of a
 * task instance that has finished is still worth reading. The engine's `UnknownInstance`
 * error carries the name it looked for.
 */
function instanceName(
  engine: HandlerEngine,
  job: string,
  env: string[],
  opts: RequestOptions,
): string {
  try {
    return engine.status(job, env, opts).instance;
  } catch (e) {
    if (e instanceof EngineError && e.code === "UnknownInstance" && e.data.instance !== undefined) {
      return e.data.instance;
    }
    throw toRpcError(e);
  }
}
