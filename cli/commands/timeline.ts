/**
 * `timeline [--svg FILE] [--json]` (beyond Upstart): the recorded job state
 * changes as bars (an SVG picture) and the critical chain as text. See
 * docs/seeing.md#the-timeline.
 *
 * @module
 */

import { osErrorReason } from "../../protocol/client.ts";
import type { CommandContext } from "../context.ts";
import { CommandError } from "../exit.ts";
import { jsonText } from "../output.ts";
import { buildBars, criticalChain, formatCriticalChain } from "../timeline/bars.ts";
import { renderTimelineSvg } from "../timeline/svg.ts";

/**
 * `timeline`: prints the critical chain (or JSON); writes the picture with `--svg`.
 *
 * @param ctx the command's context
 * @returns the exit status
 */
export async function timeline(ctx: CommandContext): Promise<number> {
  const client = await ctx.client();
  const r = await client.call("daemon.timeline", {});
  const bars = buildBars(r.transitions, r.origin, r.now);
  const chain = criticalChain(bars);
  const svgFile = ctx.args.value("svg");
  if (svgFile !== undefined) {
    const started = new Date(r.wallOrigin).toISOString();
    const svg = renderTimelineSvg(bars, r.now - r.origin, `daybreak timeline since ${started}`);
    if (svgFile === "-") {
      ctx.io.out(svg);
      return 0;
    }
    try {
      await Deno.writeTextFile(svgFile, svg);
    } catch (e) {
      throw new CommandError(`${svgFile}: ${osErrorReason(e)}`);
    }
  }
  if (ctx.json) {
    ctx.io.out(jsonText({ ...r, bars, criticalChain: chain }));
  } else if (!ctx.quiet) {
    const dropped = r.dropped > 0 ? `(${r.dropped} older state changes were dropped)\n` : "";
    ctx.io.out(dropped + formatCriticalChain(chain));
  }
  return 0;
}
