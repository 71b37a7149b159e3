/**
 * The zod schemas of every method of the control protocol (`methods.ts`): params and
 * results. The daemon validates every request with them (`daemon/rpc/dispatcher.ts`); each
 * schema is checked against the wire types of `methods.ts` by its type annotation.
 *
 * Loading zod and building these schemas costs tens of milliseconds (docs/benchmarks.md), so
 * nothing on the client's path or the daemon's path to its first job imports this module
 * statically: the daemon imports its dispatcher once it has started.
 *
 * @module
 */

import { z } from "zod";
import { PROCESS_NAMES } from "../parser/types.ts";
import type { EventExprJson, Method, Params, ParamsIn, Result } from "./methods.ts";

/** The schemas of one method. */
export interface MethodSchemas<M extends Method> {
  readonly params: z.ZodType<Params<M>, ParamsIn<M>>;
  readonly result: z.ZodType<Result<M>>;
}

const envList = z.array(z.string().max(65536)).max(4096);
const jobName = z.string().min(1).max(4096);

const callerInstance = z.object({ job: jobName, instance: z.string().max(4096) });

const processStatus = z.object({ process: z.enum(PROCESS_NAMES), pid: z.number().int() });

const instanceStatus = z.object({
  job: z.string(),
  instance: z.string(),
  goal: z.enum(["start", "stop"]),
  state: z.string(),
  processes: z.array(processStatus),
});

const jobRequest = z.object({
  job: jobName,
  env: envList.default([]),
  instance: z.string().max(4096).optional(),
});
const waitingJobRequest = jobRequest.extend({ wait: z.boolean().default(true) });

const matchArg = z.union([
  z.object({ kind: z.literal("positional"), value: z.string() }),
  z.object({
    kind: z.literal("named"),
    name: z.string(),
    op: z.enum(["=", "!="]),
    value: z.string(),
  }),
]);
const eventExpr: z.ZodType<EventExprJson> = z.lazy(() =>
  z.union([
    z.object({ kind: z.literal("match"), event: z.string(), args: z.array(matchArg) }),
    z.object({ kind: z.enum(["and", "or"]), left: eventExpr, right: eventExpr }),
  ])
);

const conditionLeaf = z.object({
  event: z.string(),
  job: z.string().nullable(),
  env: z.array(z.string()),
});

/** Every method: its params schema and its result schema. */
export const METHODS: { readonly [M in Method]: MethodSchemas<M> } = {
  "job.start": { params: waitingJobRequest, result: z.object({ status: instanceStatus }) },
  "job.stop": { params: waitingJobRequest, result: z.object({ status: instanceStatus }) },
  "job.restart": { params: waitingJobRequest, result: z.object({ status: instanceStatus }) },
  "job.reload": { params: jobRequest, result: z.object({}) },
  "job.status": { params: jobRequest, result: z.object({ status: instanceStatus }) },
  "job.list": {
    params: z.object({}).default({}),
    result: z.object({
      jobs: z.array(z.object({ job: z.string(), instances: z.array(instanceStatus) })),
    }),
  },
  "job.showConfig": {
    params: z.object({ job: jobName.optional() }).default({}),
    result: z.object({
      jobs: z.array(z.object({
        name: z.string(),
        emits: z.array(z.string()),
        startOn: eventExpr.nullable(),
        stopOn: eventExpr.nullable(),
        file: z.string().nullable(),
        fields: z.record(z.string(), z.unknown()),
        startOnText: z.string().nullable().optional(),
        stopOnText: z.string().nullable().optional(),
        startOnLeaves: z.array(conditionLeaf).optional(),
        stopOnLeaves: z.array(conditionLeaf).optional(),
        error: z.string().optional(),
      })),
    }),
  },
  "job.checkConfig": {
    params: z.object({
      job: jobName.optional(),
      ignoreEvents: z.array(z.string()).default([]),
      warn: z.boolean().default(false),
    }).default({ ignoreEvents: [], warn: false }),
    result: z.object({
      // One entry per job with problems; each problem is one unindented
      // docs/tools.md#event-and-config-commands line such as `start on: unknown event NAME`
      // (initctl adds the two-space indent). `files` lists configuration files that failed to
      // parse; `message` is the parser's text.
      jobs: z.array(z.object({ job: z.string(), problems: z.array(z.string()) })),
      files: z.array(
        z.object({ file: z.string(), job: z.string().nullable(), message: z.string() }),
      ),
    }),
  },
  "job.usage": { params: z.object({ job: jobName }), result: z.object({ usage: z.string() }) },
  "job.logPath": { params: jobRequest, result: z.object({ path: z.string().nullable() }) },
  "event.emit": {
    params: z.object({
      name: z.string().max(4096),
      env: envList.default([]),
      wait: z.boolean().default(true),
    }),
    result: z.object({}),
  },
  "conf.reload": { params: z.object({}).default({}), result: z.object({}) },
  "daemon.version": {
    params: z.object({}).default({}),
    result: z.object({ upstart: z.string(), daybreak: z.string(), protocol: z.number() }),
  },
  "daemon.logPriority": {
    params: z.object({ priority: z.string().max(32).optional() }).default({}),
    result: z.object({ priority: z.string() }),
  },
  "daemon.notifyDiskWriteable": { params: z.object({}).default({}), result: z.object({}) },
  "daemon.shutdown": {
    params: z.object({ action: z.enum(["poweroff", "halt", "reboot"]) }),
    result: z.object({}),
  },
  "daemon.reexec": { params: z.object({}).default({}), result: z.object({}) },
  "env.list": {
    params: z.object({ caller: callerInstance.optional(), global: z.boolean().default(false) })
      .default({ global: false }),
    result: z.object({ env: z.array(z.string()) }),
  },
  "env.get": {
    params: z.object({
      name: z.string().min(1),
      caller: callerInstance.optional(),
      global: z.boolean().default(false),
    }),
    result: z.object({ value: z.string() }),
  },
  "env.set": {
    params: z.object({
      vars: envList.min(1),
      retain: z.boolean().default(false),
      caller: callerInstance.optional(),
      global: z.boolean().default(false),
    }),
    result: z.object({}),
  },
  "env.unset": {
    params: z.object({
      names: z.array(z.string().min(1)).min(1),
      caller: callerInstance.optional(),
      global: z.boolean().default(false),
    }),
    result: z.object({}),
  },
  "env.reset": {
    params: z.object({ caller: callerInstance.optional(), global: z.boolean().default(false) })
      .default({ global: false }),
    result: z.object({}),
  },
  "daemon.timeline": {
    params: z.object({}).default({}),
    result: z.object({
      origin: z.number(),
      wallOrigin: z.number(),
      now: z.number(),
      dropped: z.number().int(),
      transitions: z.array(z.object({
        seq: z.number().int(),
        t: z.number(),
        job: z.string(),
        instance: z.string(),
        from: z.string(),
        to: z.string(),
        goal: z.enum(["start", "stop"]),
        cause: z.string().nullable(),
      })),
    }),
  },
  "job.details": {
    params: jobRequest,
    result: z.object({
      status: instanceStatus,
      details: z.object({
        startedAt: z.number().nullable(),
        uptimeMs: z.number().nullable(),
        startDurationMs: z.number().nullable(),
        respawns: z.number().int(),
        lastExit: z.object({
          process: z.enum(PROCESS_NAMES),
          pid: z.number().int(),
          code: z.number().int().nullable(),
          signal: z.number().int().nullable(),
          at: z.number(),
        }).nullable(),
        startEvents: z.array(z.string()),
        logPath: z.string().nullable(),
      }),
    }),
  },
};
