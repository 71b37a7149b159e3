/**
 * The zod schemas of every method of the control protocol (`methods.ts`): params and
 * results. The daemon validates every request with them (`daemon/rpc/dispatcher.ts`); each
 * schema is checked against the wire types of `methods.ts` by its type annotation.
 *
 * Loading zod and building these schemas costs tens of milliseconds
 * (docs/platform.md#start-up-costs), so nothing on the client's path or the daemon's path to its
 * first job imports this module statically: the daemon imports its dispatcher once it has started.
 *
 * @module
 */

// zod's mini API, imported by name: a bundle (dist/, docs/pid1.md#the-artifact) then keeps only
// the parts used here and the English messages, not every locale and method of the classic API
// (about 60 kB instead of 700 kB of JavaScript to parse at each start).
import {
  _default,
  array,
  boolean,
  config,
  enum as oneOf,
  extend,
  int,
  lazy,
  literal,
  maxLength,
  minLength,
  nullable,
  number,
  object,
  optional,
  record,
  string,
  union,
  unknown,
  type ZodMiniType,
} from "zod/mini";
import en from "zod/v4/locales/en.js";
import { PROCESS_NAMES } from "../parser/types.ts";
import type { EventExprJson, Method, Params, ParamsIn, Result } from "./methods.ts";

/** The schemas of one method. */
export interface MethodSchemas<M extends Method> {
  readonly params: ZodMiniType<Params<M>, ParamsIn<M>>;
  readonly result: ZodMiniType<Result<M>>;
}

// The mini API sets no locale: the English messages (`Invalid params: job: Too small: ...`).
config(en());

const envList = array(string().check(maxLength(65536))).check(maxLength(4096));
const jobName = string().check(minLength(1), maxLength(4096));
const instanceName = string().check(maxLength(4096));

const callerInstance = object({ job: jobName, instance: instanceName });

const processStatus = object({ process: oneOf(PROCESS_NAMES), pid: int() });

const instanceStatus = object({
  job: string(),
  instance: string(),
  goal: oneOf(["start", "stop"]),
  state: string(),
  processes: array(processStatus),
});

const jobRequest = object({
  job: jobName,
  env: _default(envList, []),
  instance: optional(instanceName),
});
const waitingJobRequest = extend(jobRequest, { wait: _default(boolean(), true) });

const matchArg = union([
  object({ kind: literal("positional"), value: string() }),
  object({
    kind: literal("named"),
    name: string(),
    op: oneOf(["=", "!="]),
    value: string(),
  }),
]);
const eventExpr: ZodMiniType<EventExprJson> = lazy(() =>
  union([
    object({ kind: literal("match"), event: string(), args: array(matchArg) }),
    object({ kind: oneOf(["and", "or"]), left: eventExpr, right: eventExpr }),
  ])
);

const conditionLeaf = object({
  event: string(),
  job: nullable(string()),
  env: array(string()),
});

const empty = () => object({});
const noParams = () => _default(object({}), {});
const global = () => _default(boolean(), false);
const statusResult = object({ status: instanceStatus });

/** Every method: its params schema and its result schema. */
export const METHODS: { readonly [M in Method]: MethodSchemas<M> } = {
  "job.start": { params: waitingJobRequest, result: statusResult },
  "job.stop": { params: waitingJobRequest, result: statusResult },
  "job.restart": { params: waitingJobRequest, result: statusResult },
  "job.reload": { params: jobRequest, result: empty() },
  "job.status": { params: jobRequest, result: statusResult },
  "job.list": {
    params: noParams(),
    result: object({
      jobs: array(object({ job: string(), instances: array(instanceStatus) })),
    }),
  },
  "job.showConfig": {
    params: _default(object({ job: optional(jobName) }), {}),
    result: object({
      jobs: array(object({
        name: string(),
        emits: array(string()),
        startOn: nullable(eventExpr),
        stopOn: nullable(eventExpr),
        file: nullable(string()),
        fields: record(string(), unknown()),
        startOnText: optional(nullable(string())),
        stopOnText: optional(nullable(string())),
        startOnLeaves: optional(array(conditionLeaf)),
        stopOnLeaves: optional(array(conditionLeaf)),
        error: optional(string()),
      })),
    }),
  },
  "job.checkConfig": {
    params: _default(
      object({
        job: optional(jobName),
        ignoreEvents: _default(array(string()), []),
        warn: _default(boolean(), false),
      }),
      { ignoreEvents: [], warn: false },
    ),
    result: object({
      // One entry per job with problems; each problem is one unindented
      // docs/tools.md#event-and-config-commands line such as `start on: unknown event NAME`
      // (initctl adds the two-space indent). `files` lists configuration files that failed to
      // parse; `message` is the parser's text.
      jobs: array(object({ job: string(), problems: array(string()) })),
      files: array(object({ file: string(), job: nullable(string()), message: string() })),
    }),
  },
  "job.usage": { params: object({ job: jobName }), result: object({ usage: string() }) },
  "job.logPath": { params: jobRequest, result: object({ path: nullable(string()) }) },
  "event.emit": {
    params: object({
      name: string().check(maxLength(4096)),
      env: _default(envList, []),
      wait: _default(boolean(), true),
    }),
    result: empty(),
  },
  "conf.reload": { params: noParams(), result: empty() },
  "daemon.version": {
    params: noParams(),
    result: object({ upstart: string(), daybreak: string(), protocol: number() }),
  },
  "daemon.logPriority": {
    params: _default(object({ priority: optional(string().check(maxLength(32))) }), {}),
    result: object({ priority: string() }),
  },
  "daemon.notifyDiskWriteable": { params: noParams(), result: empty() },
  "daemon.shutdown": {
    params: object({ action: oneOf(["poweroff", "halt", "reboot"]) }),
    result: empty(),
  },
  "daemon.reexec": { params: noParams(), result: empty() },
  "env.list": {
    params: _default(object({ caller: optional(callerInstance), global: global() }), {
      global: false,
    }),
    result: object({ env: array(string()) }),
  },
  "env.get": {
    params: object({
      name: string().check(minLength(1)),
      caller: optional(callerInstance),
      global: global(),
    }),
    result: object({ value: string() }),
  },
  "env.set": {
    params: object({
      vars: envList.check(minLength(1)),
      retain: _default(boolean(), false),
      caller: optional(callerInstance),
      global: global(),
    }),
    result: empty(),
  },
  "env.unset": {
    params: object({
      names: array(string().check(minLength(1))).check(minLength(1)),
      caller: optional(callerInstance),
      global: global(),
    }),
    result: empty(),
  },
  "env.reset": {
    params: _default(object({ caller: optional(callerInstance), global: global() }), {
      global: false,
    }),
    result: empty(),
  },
  "daemon.timeline": {
    params: noParams(),
    result: object({
      origin: number(),
      wallOrigin: number(),
      now: number(),
      dropped: int(),
      transitions: array(object({
        seq: int(),
        t: number(),
        job: string(),
        instance: string(),
        from: string(),
        to: string(),
        goal: oneOf(["start", "stop"]),
        cause: nullable(string()),
      })),
    }),
  },
  "job.details": {
    params: jobRequest,
    result: object({
      status: instanceStatus,
      details: object({
        startedAt: nullable(number()),
        uptimeMs: nullable(number()),
        startDurationMs: nullable(number()),
        respawns: int(),
        lastExit: nullable(object({
          process: oneOf(PROCESS_NAMES),
          pid: int(),
          code: nullable(int()),
          signal: nullable(int()),
          at: number(),
        })),
        startEvents: array(string()),
        logPath: nullable(string()),
      }),
    }),
  },
};
