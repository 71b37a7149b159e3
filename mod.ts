/**
 * daybreak's public library API: the Upstart job-file parser, configuration
 * loading, the event-expression matcher and renderer, and the control
 * protocol (its methods' types, its error table and a client).
 *
 * @example Parse a job file and render its `start on`
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJobConfig, renderEventExpr } from "./mod.ts";
 * const job = parseJobConfig("start on a or b and c\nexec sleep 1\n", { name: "demo" });
 * assert.equal(renderEventExpr(job.startOn!), "((a or b) and c)");
 * ```
 *
 * @module
 */

export type {
  CgroupSpec,
  ConsoleMode,
  DelegateAction,
  DelegateSpec,
  EventExpr,
  EventLike,
  ExpectMode,
  JobClassSpec,
  LimitResource,
  LimitValue,
  MatchArg,
  NormalExitValue,
  ProcessName,
  ProcessSlot,
  ProcessSpec,
} from "./parser/types.ts";
export { DELEGATE_ACTIONS, LIMIT_RESOURCES, PROCESS_NAMES, PROCESS_SLOTS } from "./parser/types.ts";
export { EXTENSION_STANZAS, isExtensionStanza } from "./parser/extension_stanzas.ts";
export {
  JOB_SYNTAX_MESSAGES,
  JobSyntaxError,
  type JobSyntaxErrorInit,
  type JobSyntaxErrorKind,
} from "./parser/errors.ts";
export {
  applyOverride,
  defaultJobClass,
  parseJobConfig,
  type ParseJobOptions,
} from "./parser/parse_job.ts";
export { parseEventExpr } from "./parser/event_expr.ts";
export {
  enumerateEventExpr,
  renderEnumeratedEventExpr,
  renderEventExpr,
  renderShowConfig,
} from "./parser/render.ts";
export {
  eventEnvironment,
  EventExprState,
  eventNames,
  matchEvent,
  type OfferResult,
} from "./daemon/engine/event_operator.ts";
export { envToMap, expand, ExpansionError } from "./parser/expand.ts";
export { fnmatch } from "./parser/fnmatch.ts";
export { parseSignal, signalName } from "./parser/signals.ts";
export { jobClassFields, type Json } from "./parser/fields.ts";
export {
  configSources,
  type ConfSource,
  type ConfSourceOptions,
  jobNameFromPath,
} from "./daemon/conf/conf_sources.ts";
export {
  type ConfFileSystem,
  type ConfLoadProblem,
  loadConfiguration,
  type LoadedConfiguration,
} from "./daemon/conf/conf_loader.ts";
export {
  type CallerInstance,
  type EventExprJson,
  type InstanceStatus,
  type JobConfig,
  type JobRequest,
  type JobRequestIn,
  type MatchArgJson,
  type Method,
  type MethodTypes,
  type Params,
  type ParamsIn,
  type ProcessStatus,
  PROTOCOL_VERSION,
  type Result,
  type WaitingJobRequest,
  type WaitingJobRequestIn,
} from "./protocol/methods.ts";
export {
  ERROR_CODES,
  type ErrorEntry,
  errorMessage,
  type ErrorName,
  errorNameOf,
  ERRORS,
  EXIT_FAILURE,
  exitStatusOf,
  RpcError,
} from "./protocol/errors.ts";
export {
  ConnectionError,
  connectSocket,
  osErrorReason,
  type RpcClient,
  SocketRpcClient,
} from "./protocol/client.ts";
export {
  parseSessionAddress,
  sessionAddress,
  sessionDirectory,
  sessionFileContent,
  SYSTEM_SOCKET,
} from "./protocol/addresses.ts";
