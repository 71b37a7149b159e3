/**
 * `telinit RUNLEVEL` (see docs/sysv.md#telinit): `0`–`6`, `S`/`s` record the
 * change in utmp and wtmp and emit `runlevel RUNLEVEL=N PREVLEVEL=P` without
 * waiting for it; `Q`/`q` reload the configuration; `U`/`u` ask the daemon to
 * re-execute itself.
 *
 * @module
 */

import type { RpcClient } from "../protocol/client.ts";
import { RpcError } from "../protocol/errors.ts";
import { errorText, helpHint } from "../cli/exit.ts";
import type { CliOutput } from "../cli/io.ts";
import { bootRecord, runlevelRecord } from "../sys/utmp.ts";
import { type RunlevelStore, UTMP_PATH, WTMP_PATH } from "./utmp_file.ts";

const PROG = "telinit";
const METHOD_NOT_FOUND = -32601;
/** The RPC method of a re-exec request (the daemon side is its own feature). */
export const REEXEC_METHOD = "daemon.reexec";

/** What telinit needs from the world; the CLI wires the real ones. */
export interface TelinitDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The caller's uid, or null when unknown. */
  readonly uid: number | null;
  readonly now: () => number;
  readonly kernelRelease: () => string;
  readonly store: RunlevelStore;
  readonly connect: () => Promise<RpcClient>;
  readonly io: CliOutput;
  readonly utmpPath?: string;
  readonly wtmpPath?: string;
}

const HELP = `Usage: telinit [OPTION]... RUNLEVEL
Change system runlevel.

Options:
  -e KEY=VALUE                add KEY=VALUE to the runlevel event
  -t SECONDS                  accepted for compatibility, ignored
  -q, --quiet                 reduce output to errors only
  -v, --verbose               increase output to include informational messages
      --help                  display this help and exit
      --version               output version information and exit

RUNLEVEL should be one of 0123456S, or Q to reload the configuration,
or U to ask init to re-execute itself.
`;

/** The parsed command line. */
export interface TelinitArgs {
  readonly kind: "help" | "version" | "run";
  readonly runlevel?: string;
  readonly extraEnv: readonly string[];
}

/** A command-line problem: printed with the help hint, exit 1. */
export class TelinitUsageError extends Error {
  override name = "TelinitUsageError";
}

/**
 * Parses telinit's arguments.
 *
 * @param argv the arguments after the program name
 * @returns what to do
 * @throws {TelinitUsageError} on a bad option, a missing or illegal runlevel
 */
export function parseTelinitArgs(argv: readonly string[]): TelinitArgs {
  const extraEnv: string[] = [];
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--help") return { kind: "help", extraEnv };
    if (arg === "--version") return { kind: "version", extraEnv };
    if (arg === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "-e" || arg === "-t") {
      const value = argv[++i];
      if (value === undefined) throw new TelinitUsageError(`${arg}: option requires an argument`);
      if (arg === "-e") {
        if (!value.includes("=") || value.startsWith("=")) {
          throw new TelinitUsageError(`illegal environment variable: ${value}`);
        }
        extraEnv.push(value);
      }
      continue;
    }
    if (arg.startsWith("-e") || arg.startsWith("-t")) {
      if (arg.startsWith("-e")) extraEnv.push(arg.slice(2));
      continue;
    }
    if (["-q", "--quiet", "-v", "--verbose"].includes(arg)) continue;
    if (arg.startsWith("-") && arg.length > 1) {
      throw new TelinitUsageError(`unrecognized option '${arg}'`);
    }
    positional.push(arg);
  }
  const level = positional[0];
  if (level === undefined) throw new TelinitUsageError("missing runlevel");
  if (positional.length > 1) throw new TelinitUsageError("too many arguments");
  if (!/^[0-6SsQqUu]$/.test(level)) throw new TelinitUsageError(`illegal runlevel: ${level}`);
  return { kind: "run", runlevel: level, extraEnv };
}

/**
 * The previous runlevel of a change: `$RUNLEVEL` when set (its first
 * character; `N` when empty), else utmp's, else `N`.
 *
 * @param deps where to look
 * @returns one character
 */
async function previousLevel(deps: TelinitDeps): Promise<string> {
  const fromEnv = deps.env.RUNLEVEL;
  if (fromEnv !== undefined) return fromEnv === "" ? "N" : fromEnv.charAt(0);
  try {
    return (await deps.store.read(deps.utmpPath ?? UTMP_PATH))?.runlevel ?? "N";
  } catch {
    return "N";
  }
}

/**
 * Runs telinit.
 *
 * @param argv the arguments after the program name
 * @param deps the world
 * @returns the exit status
 */
export async function telinit(argv: readonly string[], deps: TelinitDeps): Promise<number> {
  const { io } = deps;
  let args: TelinitArgs;
  try {
    args = parseTelinitArgs(argv);
  } catch (e) {
    if (!(e instanceof TelinitUsageError)) throw e;
    io.err(errorText(PROG, e.message) + helpHint(PROG));
    return 1;
  }
  if (args.kind === "help") {
    io.out(HELP);
    return 0;
  }
  if (args.kind === "version") {
    io.out("telinit (daybreak)\n");
    return 0;
  }
  if (deps.uid !== 0) {
    io.err(errorText(PROG, "Need to be root"));
    return 1;
  }
  const level = (args.runlevel as string).toUpperCase();
  let client: RpcClient | null = null;
  try {
    if (level === "Q") {
      client = await deps.connect();
      await client.call("conf.reload", {});
      return 0;
    }
    if (level === "U") {
      client = await deps.connect();
      const call = client.call.bind(client) as unknown as (
        method: string,
        params: Record<string, never>,
      ) => Promise<unknown>;
      try {
        await call(REEXEC_METHOD, {});
      } catch (e) {
        if (e instanceof RpcError && e.code === METHOD_NOT_FOUND) {
          io.err(errorText(PROG, "the daemon does not support re-executing itself"));
          return 1;
        }
        throw e;
      }
      return 0;
    }
    const previous = await previousLevel(deps);
    await recordRunlevel(PROG, level, previous, deps);
    client = await deps.connect();
    await client.call("event.emit", {
      name: "runlevel",
      env: [`RUNLEVEL=${level}`, `PREVLEVEL=${previous}`, ...args.extraEnv],
      wait: false,
    });
    return 0;
  } catch (e) {
    io.err(errorText(PROG, e instanceof Error ? e.message : String(e)));
    return 1;
  } finally {
    client?.close();
  }
}

/** What {@linkcode recordRunlevel} needs. */
export type RecordDeps = Pick<
  TelinitDeps,
  "now" | "kernelRelease" | "store" | "io" | "utmpPath" | "wtmpPath"
>;

/**
 * Records a change of runlevel in utmp and wtmp, as telinit does before it emits the event
 * (and `shutdown`, `halt` and friends when they ask init for a level: docs/shutdown.md). A
 * utmp problem is reported on stderr but never blocks the change.
 *
 * @param prog the program name for the message
 * @param level the new level's character
 * @param previous the previous level's character, `N` for none
 * @param deps the clock, the files and stderr
 */
export async function recordRunlevel(
  prog: string,
  level: string,
  previous: string,
  deps: RecordDeps,
): Promise<void> {
  const when = deps.now();
  const change = {
    record: runlevelRecord(level, previous, when, deps.kernelRelease()),
    boot: bootRecord(when, deps.kernelRelease()),
    previous,
  };
  try {
    await deps.store.write(deps.utmpPath ?? UTMP_PATH, deps.wtmpPath ?? WTMP_PATH, change);
  } catch (e) {
    deps.io.err(errorText(prog, `cannot record the runlevel: ${(e as Error).message}`));
  }
}
