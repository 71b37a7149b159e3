/**
 * Who may call what (see docs/tools.md#conventions, docs/behaviour.md#user-session): anyone may
 * query; only root (system instance), or the session owner and root (user instance), may change
 * anything — except that a job's `delegate` stanzas (a daybreak extension)
 * let named users and groups start, stop, restart or reload that job, passing
 * only the variables a rule names for them and never an unsafe one
 * (`docs/job-files.md#delegate--daybreak-extension`). Refusals carry
 * Upstart's "You do not have permission to …" texts.
 *
 * @module
 */

import type { DelegateAction, JobClassSpec } from "../../parser/types.ts";
import { type CallerIdentity, callerIdentity, type IdentitySources } from "./identity.ts";
import { errorMessage, RpcError } from "../../protocol/errors.ts";
import type { Method } from "../../protocol/methods.ts";
import type { Authorizer, CallContext } from "./server.ts";
import { isUnsafeVariable, variableName } from "./env_policy.ts";

/** Methods that only read state. */
const QUERIES: ReadonlySet<Method> = new Set<Method>([
  "job.status",
  "job.list",
  "job.showConfig",
  "job.checkConfig",
  "job.usage",
  "job.logPath",
  "daemon.version",
  "env.list",
  "env.get",
  "job.details",
  "daemon.timeline",
]);

/** Whether a call changes nothing (`log-priority` without an argument only reads). */
export function isQuery(method: Method, params: unknown): boolean {
  if (QUERIES.has(method)) return true;
  if (method === "daemon.logPriority") {
    return (params as { priority?: string }).priority === undefined;
  }
  return false;
}

/** The refusal text for a method, after Upstart's control.c messages. */
export function refusal(method: Method, params: unknown): string {
  return errorMessage("PermissionDenied", { what: refusedAction(method, params) });
}

function refusedAction(method: Method, params: unknown): string {
  if (method.startsWith("job.")) return `modify job: ${(params as { job?: string }).job ?? ""}`;
  switch (method) {
    case "event.emit":
      return "emit an event";
    case "conf.reload":
      return "reload configuration";
    case "daemon.logPriority":
      return "set log priority";
    case "daemon.notifyDiskWriteable":
      return "notify disk is writeable";
    case "daemon.shutdown":
      return "shut down the system";
    case "daemon.reexec":
      return "re-execute the daemon";
    default:
      return "modify job environment";
  }
}

/** The delegable action a method performs, if any. */
const DELEGABLE: Partial<Record<Method, DelegateAction>> = {
  "job.start": "start",
  "job.stop": "stop",
  "job.restart": "restart",
  "job.reload": "reload",
};

/**
 * Whether a job's `delegate` stanzas grant `action` to this caller.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isDelegated } from "./authorize.ts";
 * const delegates = [{ actions: ["start" as const], users: [], groups: ["deploy"] }];
 * assert.equal(isDelegated(delegates, "start", { uid: 1000, user: "ann", groups: new Set(["deploy"]) }), true);
 * ```
 */
export function isDelegated(
  delegates: JobClassSpec["delegates"],
  action: DelegateAction,
  caller: CallerIdentity,
): boolean {
  return grants(delegates, action, caller).length > 0;
}

/** The rules that grant `action` to this caller. */
function grants(
  delegates: JobClassSpec["delegates"],
  action: DelegateAction,
  caller: CallerIdentity,
): JobClassSpec["delegates"] {
  return delegates.filter((d) =>
    d.actions.includes(action) &&
    ((caller.user !== null && d.users.includes(caller.user)) ||
      d.groups.some((g) => caller.groups.has(g)))
  );
}

/**
 * The first variable of `env` a delegated caller may not pass with `action`,
 * or `null` when it may pass them all: a variable must be named (`env=NAME,…`)
 * by a rule that grants the action to the caller, and must not be unsafe
 * ({@linkcode isUnsafeVariable}) even then.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { refusedVariable } from "./authorize.ts";
 * const delegates = [{ actions: ["start" as const], users: ["ann"], groups: [], env: ["PORT", "PATH"] }];
 * const ann = { uid: 1000, user: "ann", groups: new Set<string>() };
 * assert.equal(refusedVariable(delegates, "start", ann, ["PORT=80"]), null);
 * assert.equal(refusedVariable(delegates, "start", ann, ["PATH=/tmp"]), "PATH");
 * assert.equal(refusedVariable(delegates, "start", ann, ["MODE=x"]), "MODE");
 * ```
 */
export function refusedVariable(
  delegates: JobClassSpec["delegates"],
  action: DelegateAction,
  caller: CallerIdentity,
  env: readonly string[],
): string | null {
  const allowed = new Set(grants(delegates, action, caller).flatMap((d) => d.env ?? []));
  for (const entry of env) {
    const name = variableName(entry);
    if (isUnsafeVariable(name) || !allowed.has(name)) return name;
  }
  return null;
}

/** Options of {@linkcode ownerAuthorizer}. */
export interface AuthorizerOptions {
  /** The job classes now registered, for their `delegate` stanzas. */
  readonly jobs?: () => readonly JobClassSpec[];
  /** Where user and group names come from (tests). */
  readonly identity?: IdentitySources;
}

/**
 * The daemon's authoriser: queries for everyone, changes for root and
 * `ownerUid`, and delegated job actions for the users and groups a job names.
 *
 * @param ownerUid the session owner (user mode) or 0 (system mode)
 */
export function ownerAuthorizer(ownerUid: number, options: AuthorizerOptions = {}): Authorizer {
  return (method: Method, params: unknown, ctx: CallContext) => {
    if (isQuery(method, params)) return;
    const peer = ctx.peer;
    if (peer === null) throw new RpcError("PermissionDenied", refusal(method, params));
    if (peer.uid === 0 || peer.uid === ownerUid) return;
    const action = DELEGABLE[method];
    const { job: jobName, env = [] } = params as { job?: string; env?: readonly string[] };
    const job = action === undefined || options.jobs === undefined
      ? undefined
      : options.jobs().find((j) => j.name === jobName);
    if (action !== undefined && job !== undefined && job.delegates.length > 0) {
      const caller = callerIdentity(peer, options.identity);
      if (isDelegated(job.delegates, action, caller)) {
        const name = refusedVariable(job.delegates, action, caller, env);
        if (name === null) return;
        throw new RpcError(
          "PermissionDenied",
          errorMessage("PermissionDenied", { what: `pass ${name} to job: ${job.name}` }),
        );
      }
    }
    throw new RpcError("PermissionDenied", refusal(method, params));
  };
}
