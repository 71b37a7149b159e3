/**
 * `initctl [OPTION]... COMMAND [OPTION]... [ARG]...` and its shortcuts
 * `start`, `stop`, `restart`, `reload`, `status` (see docs/tools.md#tools): parses the command
 * line, connects to the daemon on first need, runs the command, and maps
 * every failure to a message and exit status through `exit.ts`.
 *
 * Start-up time matters (a later benchmark runs `initctl list` against 500
 * jobs): nothing here loads zod, npm packages or `node:` modules, and command
 * modules are imported only when their command runs.
 *
 * @module
 */

import { formatOptionHelp, parseArgs, ParsedArgs } from "./args.ts";
import type { RpcClient } from "../protocol/client.ts";
import { connectDaemon, type ConnectOptions, procPidAlive } from "./address.ts";
import { COMMANDS, type CommandSpec, GLOBAL_OPTIONS } from "./command_table.ts";
import { type CliEnv, type CommandContext, ENV_NAMES } from "./context.ts";
import { reportError, UsageError } from "./exit.ts";
import { type CliOutput, processOutput } from "./io.ts";

/** Names under which the program is a single command (see docs/tools.md#shortcuts). */
export const SHORTCUTS: ReadonlySet<string> = new Set([
  "start",
  "stop",
  "restart",
  "reload",
  "status",
]);

/** The hidden first argument the launchers use to pass the name they were run as. */
export const PROG_ARGUMENT = "--daybreak-prog=";

/**
 * The hidden argument the launchers use to pass which session daemons are
 * alive (comma-separated pids): Deno grants no access to `/proc` short of
 * `--allow-all`, so the shell, which checked `/proc/PID` anyway, tells us.
 */
export const LIVE_PIDS_ARGUMENT = "--daybreak-live=";

/** What the launcher's hidden leading arguments say. */
export interface LauncherArguments {
  /** The name run as. */
  readonly prog: string;
  /** The live session pids, when the launcher checked them. */
  readonly livePids: ReadonlySet<number> | null;
  /** The user's arguments. */
  readonly args: string[];
}

/**
 * Splits off the hidden leading arguments the launchers add.
 *
 * @param argv the process arguments
 * @returns the program name (`initctl` by default), live pids, and the rest
 */
export function launcherArguments(argv: readonly string[]): LauncherArguments {
  let prog = "initctl";
  let livePids: Set<number> | null = null;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg.startsWith(PROG_ARGUMENT)) {
      prog = arg.slice(PROG_ARGUMENT.length) || prog;
    } else if (arg.startsWith(LIVE_PIDS_ARGUMENT)) {
      const list = arg.slice(LIVE_PIDS_ARGUMENT.length);
      livePids = new Set(list === "" ? [] : list.split(",").map(Number));
    } else {
      break;
    }
  }
  return { prog, livePids, args: argv.slice(i) };
}

/** What `main()` needs besides the arguments. */
export interface InitctlOptions {
  readonly io: CliOutput;
  /** The name run as: `initctl`, or a shortcut, which then is the command. */
  readonly progName: string;
  readonly env: CliEnv;
  /** A client to use instead of connecting (tests pass a fake). */
  readonly client?: RpcClient;
  /** How to connect when `client` is not given; `connectDaemon` by default. */
  readonly connect?: (options: ConnectOptions) => Promise<RpcClient>;
  /** The caller's uid (root skips session discovery); `null` when unknown. */
  readonly uid?: number | null;
  /** @default {procPidAlive} */
  readonly isPidAlive?: (pid: number) => boolean;
  /** Ends `log -f`. */
  readonly signal?: AbortSignal;
  /**
   * How often `log -f` polls, in ms.
   * @default {250}
   */
  readonly pollMs?: number;
}

type Invocation =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "version" }
  | { readonly kind: "run"; readonly spec: CommandSpec; readonly args: ParsedArgs };

function mainHelp(prog: string): string {
  return `Usage: ${prog} [OPTION]... COMMAND [OPTION]... [ARG]...\n\n` +
    `Options:\n${formatOptionHelp(GLOBAL_OPTIONS)}\n` +
    `For a list of commands, try \`${prog} help'.\n`;
}

/** Fills each paragraph of `text` into lines of at most `width` columns. */
function wrap(text: string, width: number): string {
  return text.split("\n").map((paragraph) => {
    const lines: string[] = [];
    let line = "";
    for (const word of paragraph.split(" ")) {
      if (line !== "" && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line === "" ? word : `${line} ${word}`;
      }
    }
    lines.push(line);
    return lines.join("\n");
  }).join("\n");
}

function commandHelp(prog: string, spec: CommandSpec): string {
  const head = SHORTCUTS.has(prog) ? prog : `${prog} ${spec.name}`;
  const synopsis = spec.synopsis === "" ? "" : ` ${spec.synopsis}`;
  let text = `Usage: ${head} [OPTION]...${synopsis}\n${spec.summary}\n\n` +
    `Options:\n${formatOptionHelp([...spec.options, ...GLOBAL_OPTIONS])}`;
  if (spec.description !== "") text += `\n${wrap(spec.description, 79)}\n`;
  return text;
}

function parseInvocation(argv: readonly string[], prog: string): Invocation {
  const args = new ParsedArgs();
  let spec: CommandSpec | undefined;
  let rest: readonly string[];
  if (SHORTCUTS.has(prog)) {
    spec = COMMANDS.get(prog);
    rest = argv;
  } else {
    const { next } = parseArgs(argv, GLOBAL_OPTIONS, { stopAtPositional: true, into: args });
    if (args.has("help")) return { kind: "text", text: mainHelp(prog) };
    if (args.has("version")) return { kind: "version" };
    const name = args.positionals.pop();
    if (name === undefined) throw new UsageError("missing command");
    spec = COMMANDS.get(name);
    if (spec === undefined) throw new UsageError(`invalid command: ${name}`);
    rest = argv.slice(next);
  }
  if (spec === undefined) throw new UsageError(`invalid command: ${prog}`);
  parseArgs(rest, [...spec.options, ...GLOBAL_OPTIONS], { into: args });
  if (args.has("help")) return { kind: "text", text: commandHelp(prog, spec) };
  if (args.has("version")) return { kind: "version" };
  return { kind: "run", spec, args };
}

/**
 * Runs initctl (or a shortcut) and returns its exit status: 0 on success, 1
 * on any error (see docs/tools.md#conventions), or what the command decides (`check-config`).
 *
 * @param argv the arguments, without the program name
 * @param options output, program name, environment, and test seams
 * @returns the exit status
 *
 * @example Usage
 * ```ts ignore
 * import { main } from "./initctl.ts";
 * import { processOutput } from "./io.ts";
 * const status = await main(["list"], { io: processOutput, progName: "initctl", env: {} });
 * ```
 */
export async function main(argv: readonly string[], options: InitctlOptions): Promise<number> {
  const { io, progName: prog } = options;
  let connecting: Promise<RpcClient> | null = null;
  try {
    const inv = parseInvocation(argv, prog);
    if (inv.kind === "text") {
      io.out(inv.text);
      return 0;
    }
    if (inv.kind === "version") {
      const { versionText } = await import("./commands/other.ts");
      io.out(await versionText(prog));
      return 0;
    }
    const { spec, args } = inv;
    const connectOptions: ConnectOptions = {
      socket: args.value("socket"),
      mode: args.has("system") ? "system" : args.has("user") ? "user" : "auto",
      env: options.env,
      uid: options.uid ?? null,
      isPidAlive: options.isPidAlive ?? procPidAlive,
    };
    const ctx: CommandContext = {
      prog,
      command: spec.name,
      io,
      env: options.env,
      args,
      quiet: args.has("quiet"),
      json: args.has("json"),
      client: () => {
        if (options.client !== undefined) return Promise.resolve(options.client);
        connecting ??= (options.connect ?? connectDaemon)(connectOptions);
        return connecting;
      },
      signal: options.signal,
      isPidAlive: options.isPidAlive ?? procPidAlive,
      pollMs: options.pollMs ?? 250,
    };
    return await spec.run(ctx);
  } catch (e) {
    return reportError(e, prog, io);
  } finally {
    if (connecting !== null) (await (connecting as Promise<RpcClient>).catch(() => null))?.close();
  }
}

function readEnv(): CliEnv {
  const env: Record<string, string | undefined> = {};
  for (const name of ENV_NAMES) env[name] = Deno.env.get(name);
  return env;
}

function callerUid(): number | null {
  try {
    return Deno.uid();
  } catch {
    return null; // --allow-sys=uid not granted: treated as non-root
  }
}

if (import.meta.main) {
  const { prog, livePids, args } = launcherArguments(Deno.args);
  Deno.exit(
    await main(args, {
      io: processOutput,
      progName: prog,
      env: readEnv(),
      uid: callerUid(),
      isPidAlive: livePids === null ? procPidAlive : (pid) => livePids.has(pid),
    }),
  );
}
