/**
 * Other commands (see docs/tools.md#event-and-config-commands): `version`, `--version`,
 * `log-priority`, `list-sessions`, `notify-disk-writeable`.
 *
 * @module
 */

import { sessionDirectory } from "../../protocol/addresses.ts";
import { findSessions } from "../address.ts";
import type { CommandContext } from "../context.ts";
import { CommandError } from "../exit.ts";
import { jsonText } from "../output.ts";

/** The Upstart release whose behaviour daybreak reproduces. */
export const UPSTART_VERSION = "1.13.2";

/**
 * daybreak's own version, from the project's `deno.json`.
 *
 * @returns the version string
 */
export async function daybreakVersion(): Promise<string> {
  const config = await import("../../deno.json", { with: { type: "json" } });
  return String(config.default.version);
}

/**
 * What `--version` prints: `PROG (upstart 1.13.2)`, then `daybreak VERSION`.
 *
 * @param prog the program name
 * @returns the text, ending in a newline
 */
export async function versionText(prog: string): Promise<string> {
  return `${prog} (upstart ${UPSTART_VERSION})\ndaybreak ${await daybreakVersion()}\n`;
}

/**
 * `version`: the daemon's version, `init (upstart X)` then `daybreak Y`.
 *
 * @param ctx the command's context
 * @returns the exit status
 */
export async function version(ctx: CommandContext): Promise<number> {
  const client = await ctx.client();
  const result = await client.call("daemon.version", {});
  if (ctx.json) ctx.io.out(jsonText(result));
  else if (!ctx.quiet) {
    ctx.io.out(`init (upstart ${result.upstart})\ndaybreak ${result.daybreak}\n`);
  }
  return 0;
}

/**
 * `log-priority [PRIORITY]`: prints the daemon's minimum log priority, or
 * sets it (printing nothing).
 *
 * @param ctx the command's context
 * @returns the exit status
 */
export async function logPriority(ctx: CommandContext): Promise<number> {
  const priority = ctx.args.positionals[0];
  const client = await ctx.client();
  const result = await client.call(
    "daemon.logPriority",
    priority === undefined ? {} : { priority },
  );
  if (ctx.json) ctx.io.out(jsonText(result));
  else if (priority === undefined && !ctx.quiet) ctx.io.out(`${result.priority}\n`);
  return 0;
}

/**
 * `list-sessions`: `PID ADDRESS` for each live session of the caller, read
 * from `$XDG_RUNTIME_DIR/upstart/sessions` (no daemon involved).
 *
 * @param ctx the command's context
 * @returns the exit status
 * @throws {CommandError} `Unable to query session directory` without `XDG_RUNTIME_DIR`
 */
export async function listSessions(ctx: CommandContext): Promise<number> {
  // No /run/user/UID fallback here: Upstart's list-sessions needs XDG_RUNTIME_DIR.
  const dir = sessionDirectory(ctx.env.XDG_RUNTIME_DIR);
  if (dir === null) throw new CommandError("Unable to query session directory");
  const sessions = await findSessions(dir, ctx.isPidAlive);
  if (ctx.json) {
    ctx.io.out(jsonText({ sessions }));
  } else if (!ctx.quiet && sessions.length > 0) {
    ctx.io.out(sessions.map((s) => `${s.pid} ${s.address}\n`).join(""));
  }
  return 0;
}

/**
 * `notify-disk-writeable`: the daemon flushes the output it buffered for
 * logs while the disk was read-only (see docs/behaviour.md#job-logs).
 *
 * @param ctx the command's context
 * @returns the exit status
 */
export async function notifyDiskWriteable(ctx: CommandContext): Promise<number> {
  const client = await ctx.client();
  await client.call("daemon.notifyDiskWriteable", {});
  return 0;
}
