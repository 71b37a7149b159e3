/**
 * Who may call what (spec §7.1, §8): anyone may query; only root (system
 * instance), or the session owner and root (user instance), may change
 * anything. Refusals carry Upstart's "You do not have permission to …" texts.
 *
 * @module
 */

import type { Method } from "./protocol.ts";
import { type Authorizer, type CallContext, RpcError } from "./server.ts";

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
  if (method.startsWith("job.")) {
    return `You do not have permission to modify job: ${(params as { job?: string }).job ?? ""}`;
  }
  switch (method) {
    case "event.emit":
      return "You do not have permission to emit an event";
    case "conf.reload":
      return "You do not have permission to reload configuration";
    case "daemon.logPriority":
      return "You do not have permission to set log priority";
    case "daemon.notifyDiskWriteable":
      return "You do not have permission to notify disk is writeable";
    default:
      return "You do not have permission to modify job environment";
  }
}

/**
 * The daemon's authoriser: queries for everyone, changes for root and `ownerUid`.
 *
 * @param ownerUid the session owner (user mode) or 0 (system mode)
 */
export function ownerAuthorizer(ownerUid: number): Authorizer {
  return (method: Method, params: unknown, ctx: CallContext) => {
    if (isQuery(method, params)) return;
    const uid = ctx.peer?.uid;
    if (uid === 0 || uid === ownerUid) return;
    throw new RpcError("PermissionDenied", refusal(method, params));
  };
}
