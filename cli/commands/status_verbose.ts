/**
 * `status --verbose JOB [KEY=VALUE]...`: the status line, then what
 * `cli/status_details.ts` formats and the last 10 lines of the instance's log.
 * See docs/seeing.md#status---verbose.
 *
 * @module
 */

import { RpcError } from "../../protocol/errors.ts";
import type { CommandContext, JobTarget } from "../context.ts";
import { formatStatus, jsonText } from "../output.ts";
import { formatDetails } from "../status_details.ts";
import { DEFAULT_LINES, LogText, tailBytes } from "./log.ts";

/** JSON-RPC's "Method not found". */

async function lastLines(path: string | null): Promise<string | null> {
  if (path === null) return null;
  try {
    using file = await Deno.open(path);
    const { size } = await file.stat();
    return new LogText().push(await tailBytes(file, size, DEFAULT_LINES), true);
  } catch {
    return null; // no output yet, or not readable by this user
  }
}

/**
 * Prints the verbose status.
 *
 * @param ctx the command's context
 * @param target the instance
 * @returns the exit status
 */
export async function verbose(ctx: CommandContext, target: JobTarget): Promise<number> {
  const client = await ctx.client();
  const params = target.instance === undefined
    ? { job: target.job, env: target.env }
    : { job: target.job, env: target.env, instance: target.instance };
  let result;
  try {
    result = await client.call("job.details", params);
  } catch (e) {
    // A daemon without the method (an older one): `-v` was only ever accepted, so show the
    // plain status as before.
    if (!(e instanceof RpcError && e.codeName === "MethodNotFound")) throw e;
    const { status } = await client.call("job.status", params);
    if (ctx.json) ctx.io.out(jsonText(status));
    else if (!ctx.quiet) ctx.io.out(`${formatStatus(status)}\n`);
    return 0;
  }
  const { status, details } = result;
  const log = await lastLines(details.logPath);
  if (ctx.json) ctx.io.out(jsonText({ status, details, log }));
  else if (!ctx.quiet) ctx.io.out(`${formatStatus(status)}\n${formatDetails(details, log)}`);
  return 0;
}
