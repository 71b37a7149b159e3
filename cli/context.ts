/**
 * What an initctl command receives, and the helpers several commands share:
 * the caller's own instance (see docs/behaviour.md#from-inside-a-job) and the `KEY=VALUE` check.
 *
 * @module
 */

import type { ParsedArgs } from "./args.ts";
import type { RpcClient } from "../protocol/client.ts";
import { errorMessage } from "../protocol/errors.ts";
import { CommandError, UsageError } from "./exit.ts";
import type { CliOutput } from "./io.ts";

/** The environment variables initctl reads (only those; see the launcher's --allow-env). */
export type CliEnv = Readonly<Record<string, string | undefined>>;

/** The variables `CliEnv` may hold, read by the entry point. */
export const ENV_NAMES = [
  "UPSTART_SESSION",
  "UPSTART_JOB",
  "UPSTART_INSTANCE",
  "XDG_RUNTIME_DIR",
] as const;

/** Everything a command needs; built by `initctl.ts`. */
export interface CommandContext {
  /** The name errors are prefixed with (`initctl`, `start`, …). */
  readonly prog: string;
  /** The command being run (`start`, `list-env`, …). */
  readonly command: string;
  readonly io: CliOutput;
  readonly env: CliEnv;
  /** The command's arguments (after the command name) and options. */
  readonly args: ParsedArgs;
  /** `-q`: print no status lines (errors still go to stderr). */
  readonly quiet: boolean;
  /** `--json`: print one JSON document instead of text. */
  readonly json: boolean;
  /** The daemon connection, opened on first use. */
  client(): Promise<RpcClient>;
  /** Stops long-running commands (`log -f`). */
  readonly signal: AbortSignal | undefined;
  /** Whether a process exists (session files of dead daemons are skipped). */
  readonly isPidAlive: (pid: number) => boolean;
  /** How often `log -f` looks for new output, in ms. */
  readonly pollMs: number;
}

/** Runs one command; resolves to the exit status. */
export type CommandRun = (ctx: CommandContext) => Promise<number>;

/**
 * The job instance initctl runs in (see docs/behaviour.md#from-inside-a-job), from
 * `UPSTART_JOB`/`UPSTART_INSTANCE`.
 */
export interface CallerInstance {
  readonly job: string;
  readonly instance: string;
}

/**
 * The caller's own instance when initctl runs inside a job: both `UPSTART_JOB`
 * and `UPSTART_INSTANCE` are set, as Upstart requires.
 *
 * @param env the environment
 * @returns the instance, or `null` outside a job
 */
export function callerInstance(env: CliEnv): CallerInstance | null {
  const job = env.UPSTART_JOB;
  const instance = env.UPSTART_INSTANCE;
  if (job === undefined || job === "" || instance === undefined) return null;
  return { job, instance };
}

/** Which instance a job command acts on. */
export interface JobTarget {
  readonly job: string;
  /** `KEY=VALUE` arguments: instance selection and job environment. */
  readonly env: string[];
  /** The instance name, given only when acting on the caller's own instance. */
  readonly instance?: string;
  /**
   * True when acting on the caller's own instance: never wait (see
   * docs/behaviour.md#from-inside-a-job).
   */
  readonly own: boolean;
}

/**
 * The job a command names (`JOB [KEY=VALUE]...`), or, with no argument inside
 * a job, the caller's own instance.
 *
 * @param ctx the command's context
 * @returns the target
 * @throws {UsageError} `missing job name` outside a job
 * @throws {CommandError} `Env must be KEY=VALUE pairs`
 */
export function jobTarget(ctx: CommandContext): JobTarget {
  const [job, ...env] = ctx.args.positionals;
  if (job === undefined) {
    const own = callerInstance(ctx.env);
    if (own === null) throw new UsageError("missing job name");
    return { job: own.job, env: [], instance: own.instance, own: true };
  }
  checkEnvPairs(env);
  return { job, env, own: false };
}

/**
 * Checks `KEY=VALUE` arguments as the daemon would, to fail before connecting.
 *
 * @param env the arguments
 * @throws {CommandError} `Env must be KEY=VALUE pairs` when one has no `=` or no key
 */
export function checkEnvPairs(env: readonly string[]): void {
  for (const pair of env) {
    if (pair.indexOf("=") < 1) throw new CommandError(errorMessage("InvalidEnv"));
  }
}
