/**
 * Configuration commands (see docs/tools.md#event-and-config-commands): `show-config`,
 * `check-config` and `reload-configuration`.
 *
 * @module
 */

import type { JobConfig, Result } from "../../protocol/methods.ts";
import { type ConditionStanza, renderLeaves, renderShowConfig } from "../../parser/render.ts";
import type { CommandContext } from "../context.ts";
import { jsonText } from "../output.ts";

function byName<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
}

/**
 * `show-config [-e] [JOB]`: for each job (sorted by name) its name, its
 * `emits`, `start on` and `stop on`; with `-e` one line per event leaf.
 *
 * @param ctx the command's context
 * @returns the exit status
 */
export async function showConfig(ctx: CommandContext): Promise<number> {
  const job = ctx.args.positionals[0];
  const client = await ctx.client();
  const result = await client.call("job.showConfig", job === undefined ? {} : { job });
  const jobs = [...result.jobs].sort(byName((j) => j.name));
  if (ctx.json) {
    ctx.io.out(jsonText({ jobs: jobs.map(jsonJob) }));
    return 0;
  }
  const enumerate = ctx.args.has("enumerate");
  const lines = jobs.flatMap((j) => showLines(j, enumerate));
  if (!ctx.quiet && lines.length > 0) ctx.io.out(`${lines.join("\n")}\n`);
  return 0;
}

/** A job as `show-config --json` prints it: the tree form, and `error` when set. */
function jsonJob(j: JobConfig) {
  const { name, emits, startOn, stopOn, file, fields, error } = j;
  return error === undefined
    ? { name, emits, startOn, stopOn, file, fields }
    : { name, emits, startOn, stopOn, file, fields, error };
}

/**
 * The `show-config` lines of one job: from the shallow text and leaves the daemon sends, or
 * from the trees of a daemon that sends only those.
 */
function showLines(j: JobConfig, enumerate: boolean): string[] {
  if (j.error !== undefined) return [j.name, `  error: ${j.error}`];
  if (j.startOnText === undefined && j.stopOnText === undefined) {
    return renderShowConfig(j, { enumerate });
  }
  const lines = [j.name, ...j.emits.map((e) => `  emits ${e}`)];
  const conditions: [ConditionStanza, string | null | undefined, JobConfig["startOnLeaves"]][] = [
    ["start on", j.startOnText, j.startOnLeaves],
    ["stop on", j.stopOnText, j.stopOnLeaves],
  ];
  for (const [stanza, text, leaves] of conditions) {
    if (text === null || text === undefined) continue;
    if (enumerate) lines.push(...renderLeaves(stanza, leaves ?? []));
    else lines.push(`  ${stanza} ${text}`);
  }
  return lines;
}

/** The problems `check-config` reports, sorted. */
export type CheckReport = Result<"job.checkConfig">;

/**
 * The `check-config` text (see docs/tools.md#event-and-config-commands): for each job with problems
 * its name, then `␣␣start on: unknown event NAME`-style lines; then, beyond Upstart,
 * each configuration file that failed to parse, as its job name (or path) and
 * `␣␣FILE: MESSAGE` (the message as is when it already starts with the path).
 *
 * @param report the daemon's answer
 * @returns the lines, each ending in a newline
 */
export function formatCheckReport(report: CheckReport): string {
  const lines: string[] = [];
  for (const j of [...report.jobs].sort(byName((x) => x.job))) {
    if (j.problems.length === 0) continue;
    lines.push(j.job, ...j.problems.map((p) => `  ${p}`));
  }
  for (const f of [...report.files].sort(byName((x) => x.file))) {
    lines.push(f.job ?? f.file);
    lines.push(`  ${f.message.startsWith(f.file) ? f.message : `${f.file}: ${f.message}`}`);
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

/**
 * `check-config [-i E1,E2] [-w] [JOB]`: reports unreachable conditions and
 * unparsable files; exit status 1 when there is any.
 *
 * @param ctx the command's context
 * @returns 0 when nothing is wrong, else 1
 */
export async function checkConfig(ctx: CommandContext): Promise<number> {
  const job = ctx.args.positionals[0];
  const ignoreEvents = ctx.args.values("ignore-events")
    .flatMap((list) => list.split(","))
    .filter((e) => e !== "");
  const warn = ctx.args.has("warn");
  const client = await ctx.client();
  const report = await client.call(
    "job.checkConfig",
    job === undefined ? { ignoreEvents, warn } : { job, ignoreEvents, warn },
  );
  const bad = report.files.length > 0 || report.jobs.some((j) => j.problems.length > 0);
  if (ctx.json) {
    ctx.io.out(jsonText({
      jobs: [...report.jobs].sort(byName((x) => x.job)),
      files: [...report.files].sort(byName((x) => x.file)),
    }));
  } else if (!ctx.quiet) {
    ctx.io.out(formatCheckReport(report));
  }
  return bad ? 1 : 0;
}

/**
 * `reload-configuration`: the daemon re-reads every configuration source.
 *
 * @param ctx the command's context
 * @returns the exit status
 */
export async function reloadConfiguration(ctx: CommandContext): Promise<number> {
  const client = await ctx.client();
  await client.call("conf.reload", {});
  return 0;
}
