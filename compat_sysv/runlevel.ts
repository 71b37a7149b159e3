/**
 * `runlevel [UTMP]` (see docs/sysv.md#runlevel): prints `PREV CUR` as
 * sysvinit's does, from `$RUNLEVEL`/`$PREVLEVEL` when `$RUNLEVEL` is set
 * (inside the `rc` job), even with a file argument as Upstart's does, else
 * from the latest runlevel record of utmp;
 * `unknown` and exit 1 when there is none.
 *
 * @module
 */

import { errorText } from "../cli/exit.ts";
import type { CliOutput } from "../cli/io.ts";
import { type RunlevelStore, UTMP_PATH } from "./utmp_file.ts";

/** What runlevel needs from the world. */
export interface RunlevelDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly store: RunlevelStore;
  readonly io: CliOutput;
}

const HELP = `Usage: runlevel [UTMP]
Output previous and current runlevel.

The system /run/utmp file is used unless the alternate file UTMP is given.
`;

/**
 * Runs runlevel.
 *
 * @param argv the arguments after the program name
 * @param deps the world
 * @returns the exit status
 */
export async function runlevel(argv: readonly string[], deps: RunlevelDeps): Promise<number> {
  const { io, env } = deps;
  if (argv[0] === "--help") {
    io.out(HELP);
    return 0;
  }
  const path = argv[0] ?? UTMP_PATH;
  let levels;
  const fromEnv = env.RUNLEVEL;
  if (fromEnv !== undefined) {
    // Set, even empty, it wins over any file (an empty one means no runlevel).
    const prev = env.PREVLEVEL === undefined || env.PREVLEVEL === "" ? "N" : env.PREVLEVEL;
    levels = { runlevel: fromEnv === "" ? "N" : fromEnv.charAt(0), previous: prev.charAt(0) };
  }
  try {
    levels ??= await deps.store.read(path);
  } catch (e) {
    const reason = e instanceof Error ? e.message.replace(/ \(os error \d+\)[^]*$/, "") : String(e);
    io.err(errorText("runlevel", `${path}: ${reason}`));
    return 1;
  }
  if (levels === null || levels.runlevel === "N") {
    io.out("unknown\n");
    return 1;
  }
  io.out(`${levels.previous} ${levels.runlevel}\n`);
  return 0;
}
