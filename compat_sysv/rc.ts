/**
 * Runs the plan of `rc_dirs.ts`: daybreak's own `/etc/init.d/rc N`, used by
 * the `rc` job when the system has no rc of its own (see docs/sysv.md#rc).
 * Scripts run one at a time with `RUNLEVEL`/`PREVLEVEL` (and sysv-rc's
 * lower-case `runlevel`/`previous`) in their environment; `*.sh` scripts run
 * through `sh`, as sysv-rc does. A failing script does not stop the others.
 *
 * @module
 */

import { type RcFs, rcPlan, type RcStep } from "./rc_dirs.ts";

/** The real file system, read-only. */
export const denoRcFs: RcFs = {
  list(dir) {
    try {
      return [...Deno.readDirSync(dir)].map((e) => e.name);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return null;
      throw e;
    }
  },
  isFile(path) {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  },
};

/** Runs one script and returns its exit status; tests may record instead. */
export type ScriptRunner = (
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
) => Promise<number>;

/** Runs a script with inherited stdio and the caller's environment plus `env`. */
export async function spawnScript(
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<number> {
  try {
    const child = new Deno.Command(argv[0] as string, {
      args: argv.slice(1),
      env: { ...env },
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    return (await child.status).code;
  } catch {
    return 126;
  }
}

/** Options of {@linkcode runRc}. */
export interface RcOptions {
  readonly fs?: RcFs;
  readonly run?: ScriptRunner;
  /** The configuration root, `/etc` by default. */
  readonly etc?: string;
}

/**
 * The command line of one step.
 *
 * @param step the step
 * @returns argv
 */
export function stepArgv(step: RcStep): string[] {
  return step.path.endsWith(".sh") ? ["/bin/sh", step.path, step.action] : [step.path, step.action];
}

/**
 * Changes to `runlevel`: runs every script of the plan, in order.
 *
 * @param runlevel the new level
 * @param previous the previous level, `N` for none
 * @param options the file system, runner and root
 * @returns the steps run, each with its exit status
 */
export async function runRc(
  runlevel: string,
  previous: string,
  options: RcOptions = {},
): Promise<{ step: RcStep; code: number }[]> {
  const fs = options.fs ?? denoRcFs;
  const run = options.run ?? spawnScript;
  const env = {
    RUNLEVEL: runlevel,
    PREVLEVEL: previous,
    runlevel,
    previous,
    PATH: "/sbin:/usr/sbin:/bin:/usr/bin",
  };
  const done: { step: RcStep; code: number }[] = [];
  for (const step of rcPlan(fs, runlevel, previous, options.etc ?? "/etc")) {
    done.push({ step, code: await run(stepArgv(step), env) });
  }
  return done;
}
