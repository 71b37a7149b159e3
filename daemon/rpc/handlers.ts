/**
 * RPC method → engine call (style.md "JSON-RPC → engine"). No sockets here:
 * each handler gets validated params and returns a result or throws an
 * `RpcError` whose message is Upstart's text.
 *
 * @module
 */

import { checkConfig } from "../check_config.ts";
import type { ConfLoadProblem } from "../../parser/conf_loader.ts";
import { jobClassFields } from "../../parser/fields.ts";
import type { JobClassSpec } from "../../parser/types.ts";
import type { EngineDriver } from "../engine_driver.ts";
import type { Engine, RequestOptions } from "../engine/engine.ts";
import { EngineError } from "../engine/errors.ts";
import type { EngineErrorCode, NotifyResult, StatusEntry } from "../engine/types.ts";
import { LOG_PRIORITIES, type LogPriority } from "../options.ts";
import { logFilePath } from "../supervisor/log_file.ts";
import { type InstanceStatus, PROTOCOL_VERSION } from "./protocol.ts";
import { type CallContext, RpcError, type RpcHandlers } from "./server.ts";
import type { SeeingMethod } from "./seeing_methods.ts";

/** What the handlers need from the daemon. */
export interface HandlerServices {
  readonly driver: EngineDriver;
  /** The registered job classes (the latest configuration). */
  jobs(): readonly JobClassSpec[];
  /** Problems of the latest configuration load. */
  confProblems(): readonly ConfLoadProblem[];
  reloadConfiguration(): Promise<void>;
  logPriority: LogPriority;
  readonly version: string;
  /** PID 1 refuses job-environment edits (spec §7.5). */
  readonly pid1: boolean;
  /** The global table as it was at start-up, for `reset-env`. */
  readonly initialGlobalEnv: readonly string[];
  readonly logDir: string | null;
  readonly defaultConsole: string;
  notifyDiskWriteable(): void;
}

const CODE_OF: Record<EngineErrorCode, ConstructorParameters<typeof RpcError>[0]> = {
  UnknownJob: "UnknownJob",
  UnknownInstance: "UnknownInstance",
  AlreadyStarted: "AlreadyStarted",
  AlreadyStopped: "AlreadyStopped",
  JobFailed: "JobFailed",
  EventFailed: "EventFailed",
  NotRunning: "NotRunning",
  UnknownParameter: "UnknownParameter",
  InvalidArgs: "InvalidEnv",
};

/** The one map from engine errors to wire errors. */
export function toRpcError(e: unknown): unknown {
  if (!(e instanceof EngineError)) return e;
  const usage = typeof e.data.usage === "string" ? `\nUsage: ${e.data.usage}` : "";
  const name = e.message === "Name may not be empty string" ? "EmptyName" : CODE_OF[e.code];
  return new RpcError(name, `${e.message}${usage}`);
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
  call: (engine: Engine, opts: RequestOptions) => unknown,
): Promise<NotifyResult | null> {
  if (!wait) {
    try {
      s.driver.run((engine) => call(engine, {}) as ReturnType<Engine["start"]>);
    } catch (e) {
      throw toRpcError(e);
    }
    return null;
  }
  const w = s.driver.waiter();
  try {
    s.driver.run((engine) => call(engine, { waiterId: w.id }) as ReturnType<Engine["start"]>);
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
    if (!result.ok) throw new RpcError(CODE_OF[result.code], result.message);
    return result;
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
  }
}

function statusOrThrow(engine: Engine, job: string, env: string[], opts: RequestOptions) {
  try {
    return wire(engine.status(job, env, opts));
  } catch (e) {
    throw toRpcError(e);
  }
}

/** Builds every handler. */
export function createHandlers(s: HandlerServices): Omit<RpcHandlers, SeeingMethod> {
  const engine = s.driver.engine;
  const jobControl = (method: "start" | "stop" | "restart") =>
  async (
    p: { job: string; env: string[]; wait: boolean; instance?: string | undefined },
    ctx: CallContext,
  ) => {
    const sel = select(p);
    const r = await request(s, ctx, p.wait, (e, o) => e[method](p.job, p.env, { ...o, ...sel }));
    if (r !== null && r.ok && r.status !== null) return { status: wire(r.status) };
    return { status: statusOrThrow(engine, p.job, method === "stop" ? [] : p.env, sel) };
  };

  const callerEnv = (caller: { job: string; instance: string }) => {
    let inst;
    try {
      inst = engine.instancesOf(caller.job).find((i) => i.name === caller.instance);
    } catch (e) {
      throw toRpcError(e);
    }
    if (inst === undefined) {
      throw new RpcError("UnknownInstance", `Unknown instance: ${caller.instance}`);
    }
    return [...inst.env];
  };
  const editEnv = (
    p: { caller?: { job: string; instance: string } | undefined; global: boolean },
    edit: (env: string[]) => string[],
  ) => {
    if (s.pid1) {
      throw new RpcError("NotPermissible", "Not permissible to modify PID 1 job environment");
    }
    if (p.caller !== undefined && !p.global) {
      try {
        engine.editInstanceEnv(p.caller.job, p.caller.instance, edit);
      } catch (e) {
        throw toRpcError(e);
      }
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
      try {
        s.driver.run((e) => e.reload(p.job, p.env, select(p)));
      } catch (e) {
        throw toRpcError(e);
      }
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
    "job.showConfig": (p) => {
      const all = s.jobs();
      const chosen = p.job === undefined ? all : all.filter((j) => j.name === p.job);
      if (p.job !== undefined && chosen.length === 0) {
        throw new RpcError("UnknownJob", `Unknown job: ${p.job}`);
      }
      return {
        jobs: chosen.map((j) => ({
          name: j.name,
          emits: [...j.emits],
          startOn: j.startOn,
          stopOn: j.stopOn,
          file: j.file,
          fields: jobClassFields(j),
        })),
      } as never;
    },
    "job.checkConfig": (p) => {
      const all = s.jobs();
      if (p.job !== undefined && !all.some((j) => j.name === p.job)) {
        throw new RpcError("InvalidJobClass", `Invalid job class: ${p.job}`);
      }
      const jobs = checkConfig(all, { ignoreEvents: p.ignoreEvents, warn: p.warn }, p.job);
      const files = s.confProblems()
        .filter((f) => p.job === undefined || f.job === p.job)
        .map((f) => ({ file: f.file, job: f.job, message: f.message }));
      return { jobs, files };
    },
    "job.usage": (p) => {
      const cls = s.jobs().find((j) => j.name === p.job);
      if (cls === undefined) throw new RpcError("UnknownJob", `Unknown job: ${p.job}`);
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
          throw new RpcError("InvalidPriority", "The log priority given was not recognised");
        }
        s.logPriority = p.priority as LogPriority;
      }
      return { priority: s.logPriority };
    },
    "daemon.notifyDiskWriteable": () => {
      s.notifyDiskWriteable();
      return {};
    },
    "env.list": (p) => ({ env: [...readEnv(p)].sort() }),
    "env.get": (p) => {
      const prefix = `${p.name}=`;
      const entry = readEnv(p).findLast((e) => e.startsWith(prefix));
      if (entry === undefined) throw new RpcError("NoSuchVariable", `No such variable: ${p.name}`);
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
        throw new RpcError("NoSuchVariable", `No such variable: ${missing}`);
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

function safeInstances(engine: Engine, job: string): string[] {
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

const UNKNOWN_INSTANCE = "Unknown instance: ";

/**
 * The instance name a request selects, whether or not that instance is alive: the log of a
 * task instance that has finished is still worth reading. The engine names a missing instance
 * only in its `Unknown instance: NAME` text, so the name is taken from there.
 */
function instanceName(engine: Engine, job: string, env: string[], opts: RequestOptions): string {
  try {
    return engine.status(job, env, opts).instance;
  } catch (e) {
    if (
      e instanceof EngineError && e.code === "UnknownInstance" &&
      e.message.startsWith(UNKNOWN_INSTANCE)
    ) {
      return e.message.slice(UNKNOWN_INSTANCE.length);
    }
    throw toRpcError(e);
  }
}
