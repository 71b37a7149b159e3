/**
 * `graph [--format dot|svg] [--job JOB]...` (beyond Upstart): the event graph
 * of the daemon's jobs as Graphviz DOT, or SVG through Graphviz. See
 * docs/seeing.md#the-event-graph.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { CommandError, UsageError } from "../exit.ts";
import { renderDot } from "../graph/dot.ts";
import { buildEventGraph, graphJobFromConfig } from "../graph/event_graph.ts";
import { dotToSvg, GraphvizFailedError, GraphvizMissingError } from "../graph/graphviz.ts";
import { jsonText } from "../output.ts";

/**
 * `graph`: prints the DOT (or SVG) text.
 *
 * @param ctx the command's context
 * @returns the exit status
 */
export async function graph(ctx: CommandContext): Promise<number> {
  const format = ctx.args.value("format") ?? "dot";
  if (format !== "dot" && format !== "svg") throw new UsageError(`invalid format: ${format}`);
  const only = ctx.args.values("job");
  const client = await ctx.client();
  const { jobs } = await client.call("job.showConfig", {});
  const known = new Set(jobs.map((j) => j.name));
  const unknown = only.find((j) => !known.has(j));
  if (unknown !== undefined) throw new CommandError(`Unknown job: ${unknown}`);
  const g = buildEventGraph(jobs.map(graphJobFromConfig), { only });
  if (ctx.json) {
    ctx.io.out(jsonText(g));
    return 0;
  }
  const dot = renderDot(g);
  if (format === "dot") {
    ctx.io.out(dot);
    return 0;
  }
  try {
    ctx.io.out(await dotToSvg(dot));
  } catch (e) {
    if (e instanceof GraphvizMissingError || e instanceof GraphvizFailedError) {
      throw new CommandError(e.message);
    }
    throw e;
  }
  return 0;
}
