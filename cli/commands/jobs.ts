/**
 * Job commands (see docs/tools.md#job-commands): `start`, `stop`, `restart`, `reload`, `status`,
 * `list` and `usage`. With no JOB inside a job they act on the caller's own
 * instance and never wait (see docs/behaviour.md#from-inside-a-job).
 *
 * @module
 */

import type { InstanceStatus } from "../../protocol/methods.ts";
import { callerInstance, type CommandContext, type JobTarget, jobTarget } from "../context.ts";
import { UsageError } from "../exit.ts";
import { formatListing, formatStatus, jsonText, sortListing } from "../output.ts";

/** The params selecting the target's instance. */
function selection(target: JobTarget): { job: string; env: string[]; instance?: string } {
  return target.instance === undefined
    ? { job: target.job, env: target.env }
    : { job: target.job, env: target.env, instance: target.instance };
}

function printStatus(ctx: CommandContext, status: InstanceStatus): number {
  if (ctx.json) ctx.io.out(jsonText(status));
  else if (!ctx.quiet) ctx.io.out(`${formatStatus(status)}\n`);
  return 0;
}

async function changeGoal(
  ctx: CommandContext,
  method: "job.start" | "job.stop" | "job.restart",
): Promise<number> {
  const target = jobTarget(ctx);
  const wait = !target.own && !ctx.args.has("no-wait");
  const client = await ctx.client();
  const { status } = await client.call(method, { ...selection(target), wait });
  return printStatus(ctx, status);
}

/**
 * `start [-n] JOB [KEY=VALUE]...`: prints the instance's status once started.
 *
 * @param ctx the command's context
 * @returns the exit status
 */
export function start(ctx: CommandContext): Promise<number> {
  return changeGoal(ctx, "job.start");
}

/**
 * `stop [-n] JOB [KEY=VALUE]...`: prints the instance's status once stopped.
 *
 * @param ctx the command's context
 * @returns the exit status
 */
export function stop(ctx: CommandContext): Promise<number> {
  return changeGoal(ctx, "job.stop");
}

/**
 * `restart [-n] JOB [KEY=VALUE]...`: prints the instance's status once restarted.
 *
 * @param ctx the command's context
 * @returns the exit status
 */
export function restart(ctx: CommandContext): Promise<number> {
  return changeGoal(ctx, "job.restart");
}

/**
 * `reload JOB [KEY=VALUE]...`: sends the reload signal; prints nothing.
 *
 * @param ctx the command's context
 * @returns the exit status
 */
export async function reload(ctx: CommandContext): Promise<number> {
  const target = jobTarget(ctx);
  const client = await ctx.client();
  await client.call("job.reload", selection(target));
  return 0;
}

/**
 * `status JOB [KEY=VALUE]...`: prints the instance's status line.
 *
 * @param ctx the command's context
 * @returns the exit status
 */
export async function status(ctx: CommandContext): Promise<number> {
  const target = jobTarget(ctx);
  const client = await ctx.client();
  if (ctx.args.has("verbose")) return (await import("./status_verbose.ts")).verbose(ctx, target);
  const result = await client.call("job.status", selection(target));
  return printStatus(ctx, result.status);
}

/**
 * `list`: one status line per instance of every job, sorted by name.
 *
 * @param ctx the command's context
 * @returns the exit status
 */
export async function list(ctx: CommandContext): Promise<number> {
  const client = await ctx.client();
  const { jobs } = await client.call("job.list", {});
  if (ctx.json) ctx.io.out(jsonText({ jobs: sortListing(jobs) }));
  else if (!ctx.quiet) ctx.io.out(formatListing(jobs));
  return 0;
}

/**
 * `usage JOB`: prints `Usage: TEXT` (`Usage: ` alone when the job has none).
 *
 * @param ctx the command's context
 * @returns the exit status
 */
export async function usage(ctx: CommandContext): Promise<number> {
  // Only the job name counts; Upstart ignores further arguments here.
  const job = ctx.args.positionals[0] ?? callerInstance(ctx.env)?.job;
  if (job === undefined) throw new UsageError("missing job name");
  const client = await ctx.client();
  const result = await client.call("job.usage", { job });
  if (!ctx.quiet) ctx.io.out(`Usage: ${result.usage}\n`);
  return 0;
}
