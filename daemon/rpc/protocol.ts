/**
 * The control protocol shared by the daemon and the CLI: JSON-RPC 2.0 method
 * names, their zod schemas (params and results), and the error codes, named
 * after Upstart's D-Bus errors (spec §12.2). See `docs/rpc.md`.
 *
 * The CLI imports this module for its *types* only (`import type`), so the
 * client never loads zod and stays fast; the daemon validates every request
 * with these schemas.
 *
 * @module
 */

import { z } from "zod";
import { PROCESS_NAMES } from "../../parser/types.ts";
import { SEEING_METHODS } from "./seeing_methods.ts";

/** Protocol version, bumped on incompatible changes. */
export const PROTOCOL_VERSION = 1;

/** Largest request line the server accepts, in bytes. */
export const MAX_REQUEST_BYTES = 1 << 20;

const envList = z.array(z.string().max(65536)).max(4096);
const jobName = z.string().min(1).max(4096);

/** Identifies the calling job instance (initctl run inside a job, spec §5.10). */
export const CallerInstance = z.object({ job: jobName, instance: z.string().max(4096) });

const ProcessName = z.enum(PROCESS_NAMES);

/** One live process of an instance. */
export const ProcessStatus = z.object({ process: ProcessName, pid: z.number().int() });

/** The status of one instance: what a §7.2 status line prints. */
export const InstanceStatus = z.object({
  job: z.string(),
  instance: z.string(),
  goal: z.enum(["start", "stop"]),
  state: z.string(),
  processes: z.array(ProcessStatus),
});
export type InstanceStatus = z.infer<typeof InstanceStatus>;

/**
 * Selects one instance of a job: by `env` (the instance name is expanded from
 * the class defaults plus `env`, spec §5.1), or, when `instance` is given, by
 * that instance name directly (initctl run inside a job with no JOB argument
 * acts on its own instance, spec §5.10, sending `UPSTART_INSTANCE` here).
 */
const JobRequest = z.object({
  job: jobName,
  env: envList.default([]),
  instance: z.string().max(4096).optional(),
});
const WaitingJobRequest = JobRequest.extend({ wait: z.boolean().default(true) });

const MatchArg = z.union([
  z.object({ kind: z.literal("positional"), value: z.string() }),
  z.object({
    kind: z.literal("named"),
    name: z.string(),
    op: z.enum(["=", "!="]),
    value: z.string(),
  }),
]);
type EventExprJson =
  | { kind: "match"; event: string; args: z.infer<typeof MatchArg>[] }
  | { kind: "and" | "or"; left: EventExprJson; right: EventExprJson };
const EventExpr: z.ZodType<EventExprJson> = z.lazy(() =>
  z.union([
    z.object({ kind: z.literal("match"), event: z.string(), args: z.array(MatchArg) }),
    z.object({ kind: z.enum(["and", "or"]), left: EventExpr, right: EventExpr }),
  ])
);

/** Every method: its params schema and its result schema. */
export const METHODS = {
  "job.start": { params: WaitingJobRequest, result: z.object({ status: InstanceStatus }) },
  "job.stop": { params: WaitingJobRequest, result: z.object({ status: InstanceStatus }) },
  "job.restart": { params: WaitingJobRequest, result: z.object({ status: InstanceStatus }) },
  "job.reload": { params: JobRequest, result: z.object({}) },
  "job.status": { params: JobRequest, result: z.object({ status: InstanceStatus }) },
  "job.list": {
    params: z.object({}).default({}),
    result: z.object({
      jobs: z.array(z.object({ job: z.string(), instances: z.array(InstanceStatus) })),
    }),
  },
  "job.showConfig": {
    params: z.object({ job: jobName.optional() }).default({}),
    result: z.object({
      jobs: z.array(z.object({
        name: z.string(),
        emits: z.array(z.string()),
        startOn: EventExpr.nullable(),
        stopOn: EventExpr.nullable(),
        file: z.string().nullable(),
        fields: z.record(z.string(), z.unknown()),
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
      // One entry per job with problems; each problem is one unindented §7.4 line such as
      // `start on: unknown event NAME` (initctl adds the two-space indent). `files` lists
      // configuration files that failed to parse; `message` is the parser's text.
      jobs: z.array(z.object({ job: z.string(), problems: z.array(z.string()) })),
      files: z.array(
        z.object({ file: z.string(), job: z.string().nullable(), message: z.string() }),
      ),
    }),
  },
  "job.usage": { params: z.object({ job: jobName }), result: z.object({ usage: z.string() }) },
  "job.logPath": { params: JobRequest, result: z.object({ path: z.string().nullable() }) },
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
  "env.list": {
    params: z.object({ caller: CallerInstance.optional(), global: z.boolean().default(false) })
      .default({ global: false }),
    result: z.object({ env: z.array(z.string()) }),
  },
  "env.get": {
    params: z.object({
      name: z.string().min(1),
      caller: CallerInstance.optional(),
      global: z.boolean().default(false),
    }),
    result: z.object({ value: z.string() }),
  },
  "env.set": {
    params: z.object({
      vars: envList.min(1),
      retain: z.boolean().default(false),
      caller: CallerInstance.optional(),
      global: z.boolean().default(false),
    }),
    result: z.object({}),
  },
  "env.unset": {
    params: z.object({
      names: z.array(z.string().min(1)).min(1),
      caller: CallerInstance.optional(),
      global: z.boolean().default(false),
    }),
    result: z.object({}),
  },
  "env.reset": {
    params: z.object({ caller: CallerInstance.optional(), global: z.boolean().default(false) })
      .default({ global: false }),
    result: z.object({}),
  },
  ...SEEING_METHODS,
} as const;

/** A method name. */
export type Method = keyof typeof METHODS;
/** The params a method takes (before defaults are applied). */
export type ParamsIn<M extends Method> = z.input<(typeof METHODS)[M]["params"]>;
/** The params a handler receives (defaults applied). */
export type Params<M extends Method> = z.output<(typeof METHODS)[M]["params"]>;
/** The result of a method. */
export type Result<M extends Method> = z.output<(typeof METHODS)[M]["result"]>;

// The codes live in a dependency-free module so the CLI can use them without zod.
export { ERROR_CODES, type ErrorName } from "./error_codes.ts";
