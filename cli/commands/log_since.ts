/**
 * `log JOB --since TIME --until TIME [-n N] [-f]`: the stamped lines of a log
 * within a time range (see `cli/log_time.ts`, docs/seeing.md#logs).
 *
 * @module
 */

import { osErrorReason } from "../../protocol/client.ts";
import type { CommandContext } from "../context.ts";
import { CommandError, UsageError } from "../exit.ts";
import { filterLogLines, parseLogTime } from "../log_time.ts";
import { LogText } from "./log.ts";

function time(ctx: CommandContext, name: "since" | "until", now: number): number | null {
  const text = ctx.args.value(name);
  if (text === undefined) return null;
  const t = parseLogTime(text, now);
  if (t === null) throw new UsageError(`invalid time for --${name}: ${text}`);
  return t;
}

/**
 * Prints the lines of `path` stamped within `--since`/`--until`; with `-n N`
 * only the last N of them. `--follow` is refused here.
 *
 * @param ctx the command's context
 * @param path the log file
 * @returns the exit status
 */
export async function logSince(ctx: CommandContext, path: string): Promise<number> {
  const now = Date.now();
  const since = time(ctx, "since", now);
  const until = time(ctx, "until", now);
  if (ctx.args.has("follow")) throw new UsageError("--follow cannot be used with --since/--until");
  let text;
  try {
    const bytes = await Deno.readFile(path);
    text = new LogText().push(bytes, true);
  } catch (e) {
    throw new CommandError(`${path}: ${osErrorReason(e)}`);
  }
  let lines = filterLogLines(text, since, until);
  const n = ctx.args.value("lines");
  if (n !== undefined) {
    if (!/^[0-9]+$/.test(n)) throw new UsageError(`invalid line count: ${n}`);
    lines = Number(n) === 0 ? [] : lines.slice(-Number(n));
  }
  ctx.io.out(lines.join(""));
  return 0;
}
