/**
 * Every initctl command: name, help group, texts, options, and how to run it.
 * Command modules are imported only when their command runs, so `initctl
 * list` loads nothing it does not use.
 *
 * @module
 */

import type { OptionDef } from "./args.ts";
import type { CommandContext, CommandRun } from "./context.ts";

/** The groups `initctl help` lists commands under (see docs/tools.md#event-and-config-commands). */
export type CommandGroup =
  | "Job commands"
  | "Event commands"
  | "Environment commands"
  | "Other commands";

/** The order of the groups in `initctl help`. */
export const GROUPS: readonly CommandGroup[] = [
  "Job commands",
  "Event commands",
  "Environment commands",
  "Other commands",
];

/** One command. */
export interface CommandSpec {
  readonly name: string;
  readonly group: CommandGroup;
  /** One line, as `initctl help` shows it. */
  readonly summary: string;
  /** The arguments, as `Usage:` shows them after `[OPTION]...`. */
  readonly synopsis: string;
  /** Paragraphs printed after the options by `COMMAND --help`. */
  readonly description: string;
  readonly options: readonly OptionDef[];
  readonly run: CommandRun;
}

/** Options every command accepts (see docs/tools.md#conventions). */
export const GLOBAL_OPTIONS: readonly OptionDef[] = [
  { long: "socket", arg: "PATH", help: "connect to the daemon listening on PATH" },
  { long: "system", help: "connect to the system daemon" },
  { long: "user", help: "connect to the session daemon (as used for user sessions)" },
  { long: "session", help: "accepted for compatibility (same as default discovery)" },
  { long: "dest", arg: "NAME", help: "accepted for compatibility (ignored)" },
  { long: "quiet", short: "q", help: "reduce output to errors only" },
  { long: "verbose", short: "v", help: "accepted for compatibility" },
  { long: "help", help: "display this help and exit" },
  { long: "version", help: "output version information and exit" },
];

const NO_WAIT = (what: string): OptionDef => ({
  long: "no-wait",
  short: "n",
  help: `do not wait for ${what} before exiting`,
});
const JSON_OUT: OptionDef = { long: "json", help: "print one JSON document instead of text" };
const GLOBAL_ENV: OptionDef = {
  long: "global",
  short: "g",
  help: "use the global job environment, even inside a job",
};

const jobs = () => import("./commands/jobs.ts");
const event = () => import("./commands/event.ts");
const config = () => import("./commands/config.ts");
const env = () => import("./commands/env.ts");
const other = () => import("./commands/other.ts");
const logs = () => import("./commands/log.ts");
const graph = () => import("./commands/graph.ts");
const timeline = () => import("./commands/timeline.ts");

const INSTANCE_NOTE = "With no JOB inside a job, acts on the job's own instance and does not wait.";

const SPECS: readonly CommandSpec[] = [
  {
    name: "start",
    group: "Job commands",
    summary: "Start job.",
    synopsis: "JOB [KEY=VALUE]...",
    description: "JOB is the name of the job that is to be started, this may be followed by zero " +
      "or more environment variables to be defined in the new job.\n\nThe environment may also " +
      "serve to distinguish between job instances, and thus decide whether a new instance will " +
      "be spawned or an error returned if an existing instance is already running.\n\n" +
      INSTANCE_NOTE,
    options: [NO_WAIT("job to start")],
    run: async (ctx) => (await jobs()).start(ctx),
  },
  {
    name: "stop",
    group: "Job commands",
    summary: "Stop job.",
    synopsis: "JOB [KEY=VALUE]...",
    description: "JOB is the name of the job that is to be stopped, this may be followed by zero " +
      "or more environment variables to be passed to the job's pre-stop and post-stop " +
      "processes.\n\nThe environment also serves to distinguish between job instances, and " +
      "thus decide which of multiple instances will be stopped.\n\n" + INSTANCE_NOTE,
    options: [NO_WAIT("job to stop")],
    run: async (ctx) => (await jobs()).stop(ctx),
  },
  {
    name: "restart",
    group: "Job commands",
    summary: "Restart job.",
    synopsis: "JOB [KEY=VALUE]...",
    description: "JOB is the name of the job that is to be restarted, this may be followed by " +
      "zero or more environment variables to be defined in the job after restarting.\n\nThe " +
      "environment also serves to distinguish between job instances, and thus decide which of " +
      "multiple instances will be restarted.\n\n" + INSTANCE_NOTE,
    options: [NO_WAIT("job to restart")],
    run: async (ctx) => (await jobs()).restart(ctx),
  },
  {
    name: "reload",
    group: "Job commands",
    summary: "Send HUP signal to job.",
    synopsis: "JOB [KEY=VALUE]...",
    description: "JOB is the name of the job that is to be sent the signal, this may be followed " +
      "by zero or more environment variables to distinguish between job instances.\n\n" +
      INSTANCE_NOTE,
    options: [],
    run: async (ctx) => (await jobs()).reload(ctx),
  },
  {
    name: "status",
    group: "Job commands",
    summary: "Query status of job.",
    synopsis: "JOB [KEY=VALUE]...",
    description: "JOB is the name of the job that is to be queried, this may be followed by zero " +
      "or more environment variables to distinguish between job instances.\n\n" + INSTANCE_NOTE,
    options: [JSON_OUT],
    run: async (ctx) => (await jobs()).status(ctx),
  },
  {
    name: "list",
    group: "Job commands",
    summary: "List known jobs.",
    synopsis: "",
    description: "The known jobs and their current status will be output.",
    options: [JSON_OUT],
    run: async (ctx) => (await jobs()).list(ctx),
  },
  {
    name: "usage",
    group: "Job commands",
    summary: "Show job usage message if available.",
    synopsis: "JOB",
    description: "JOB is the name of the job which usage is to be shown.",
    options: [],
    run: async (ctx) => (await jobs()).usage(ctx),
  },
  {
    name: "log",
    group: "Job commands",
    summary: "Show the end of a job's output log.",
    synopsis: "JOB [KEY=VALUE]...",
    description: "Prints the last lines of the log file of the instance JOB [KEY=VALUE]... " +
      "selects (jobs with `console log'); with --follow, keeps printing what is appended " +
      "until interrupted.\n\nWith --since or --until, prints the lines stamped in that time " +
      "(the daemon stamps them under --log-timestamps); TIME is now, today, -30s, -5min, " +
      "-2h, -1d, @EPOCH or an ISO 8601 date or time (UTC unless a zone is given).",
    options: [
      { long: "lines", short: "n", arg: "N", help: "print the last N lines (default 10)" },
      { long: "follow", short: "f", help: "keep printing new output" },
      { long: "since", arg: "TIME", help: "only lines stamped at or after TIME (see below)" },
      { long: "until", arg: "TIME", help: "only lines stamped before TIME" },
    ],
    run: async (ctx) => (await logs()).log(ctx),
  },
  {
    name: "emit",
    group: "Event commands",
    summary: "Emit an event.",
    synopsis: "EVENT [KEY=VALUE]...",
    description: "EVENT is the name of an event the init daemon should emit, this may be " +
      "followed by zero or more environment variables to be included in the event.",
    options: [NO_WAIT("event's handlers to complete")],
    run: async (ctx) => (await event()).emit(ctx),
  },
  {
    name: "get-env",
    group: "Environment commands",
    summary: "Retrieve value of a job environment variable.",
    synopsis: "VARIABLE",
    description: "VARIABLE is the name of the variable whose value is printed.",
    options: [GLOBAL_ENV, JSON_OUT],
    run: async (ctx) => (await env()).getEnv(ctx),
  },
  {
    name: "list-env",
    group: "Environment commands",
    summary: "Show all job environment variables.",
    synopsis: "",
    description: "Prints KEY=VALUE lines, sorted.",
    options: [GLOBAL_ENV, JSON_OUT],
    run: async (ctx) => (await env()).listEnv(ctx),
  },
  {
    name: "reset-env",
    group: "Environment commands",
    summary: "Revert all job environment variables to initial values.",
    synopsis: "",
    description: "",
    options: [GLOBAL_ENV],
    run: async (ctx) => (await env()).resetEnv(ctx),
  },
  {
    name: "set-env",
    group: "Environment commands",
    summary: "Set a job environment variable.",
    synopsis: "VARIABLE[=VALUE]...",
    description: "A VARIABLE without =VALUE is set to the empty string.",
    options: [
      GLOBAL_ENV,
      { long: "retain", short: "r", help: "do not replace the value of an existing variable" },
    ],
    run: async (ctx) => (await env()).setEnv(ctx),
  },
  {
    name: "unset-env",
    group: "Environment commands",
    summary: "Remove a job environment variable.",
    synopsis: "VARIABLE...",
    description: "",
    options: [GLOBAL_ENV],
    run: async (ctx) => (await env()).unsetEnv(ctx),
  },
  {
    name: "check-config",
    group: "Other commands",
    summary: "Check for unreachable jobs/event conditions.",
    synopsis: "[JOB]",
    description: "Lists the jobs whose start on or stop on conditions name events no job emits, " +
      "or jobs that do not exist, and the configuration files that failed to parse. Exits 1 " +
      "when there is any.",
    options: [
      {
        long: "ignore-events",
        short: "i",
        arg: "EVENT_LIST",
        help: "comma-separated events to ignore",
      },
      { long: "warn", short: "w", help: "report every unknown event, even in satisfiable `or's" },
      JSON_OUT,
    ],
    run: async (ctx) => (await config()).checkConfig(ctx),
  },
  {
    name: "help",
    group: "Other commands",
    summary: "display list of commands",
    synopsis: "",
    description: "",
    options: [],
    run: (ctx) => Promise.resolve(printCommandList(ctx)),
  },
  {
    name: "list-sessions",
    group: "Other commands",
    summary: "List all sessions.",
    synopsis: "",
    description: "Prints PID ADDRESS for each live session daemon of the user.",
    options: [JSON_OUT],
    run: async (ctx) => (await other()).listSessions(ctx),
  },
  {
    name: "log-priority",
    group: "Other commands",
    summary: "Change the minimum priority of log messages from the init daemon",
    synopsis: "[PRIORITY]",
    description: "PRIORITY may be one of: debug, info, message, warn, error, fatal. Without " +
      "PRIORITY, prints the current one.",
    options: [JSON_OUT],
    run: async (ctx) => (await other()).logPriority(ctx),
  },
  {
    name: "notify-disk-writeable",
    group: "Other commands",
    summary: "Inform Upstart that disk is now writeable.",
    synopsis: "",
    description: "",
    options: [],
    run: async (ctx) => (await other()).notifyDiskWriteable(ctx),
  },
  {
    name: "reload-configuration",
    group: "Other commands",
    summary: "Reload the configuration of the init daemon.",
    synopsis: "",
    description: "",
    options: [],
    run: async (ctx) => (await config()).reloadConfiguration(ctx),
  },
  {
    name: "show-config",
    group: "Other commands",
    summary: "Show emits, start on and stop on details for job configurations.",
    synopsis: "[JOB]",
    description: "If JOB is given, shows the details of that job only, else of every job.",
    options: [
      { long: "enumerate", short: "e", help: "list each start on and stop on event separately" },
      JSON_OUT,
    ],
    run: async (ctx) => (await config()).showConfig(ctx),
  },
  {
    name: "graph",
    group: "Other commands",
    summary: "Draw the event graph of the jobs.",
    synopsis: "",
    description: "Prints the jobs, the events that start and stop them and the events they " +
      "emit as Graphviz DOT, or with --format svg as SVG (needs Graphviz's `dot').",
    options: [
      { long: "format", arg: "FORMAT", help: "dot (default) or svg" },
      { long: "job", arg: "JOB", help: "draw only this job's conditions (repeatable)" },
      JSON_OUT,
    ],
    run: async (ctx) => (await graph()).graph(ctx),
  },
  {
    name: "timeline",
    group: "Other commands",
    summary: "Show the state changes of the jobs over time.",
    synopsis: "",
    description: "Prints the critical chain of the recorded job state changes; with --svg " +
      "FILE also draws one bar per job instance into FILE (`-' for standard output).",
    options: [{ long: "svg", arg: "FILE", help: "write the timeline picture to FILE" }, JSON_OUT],
    run: async (ctx) => (await timeline()).timeline(ctx),
  },
  {
    name: "version",
    group: "Other commands",
    summary: "Request the version of the init daemon.",
    synopsis: "",
    description: "",
    options: [JSON_OUT],
    run: async (ctx) => (await other()).version(ctx),
  },
];

/** Every command by name. */
export const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map(SPECS.map((s) => [s.name, s]));

/**
 * The `initctl help` text: commands by group, in the order of `GROUPS`.
 *
 * @param prog the program name
 * @returns the text, ending in a newline
 */
export function commandListText(prog: string): string {
  let out = "";
  for (const group of GROUPS) {
    out += `${group}:\n`;
    for (const spec of SPECS) {
      if (spec.group !== group) continue;
      const name = `  ${spec.name}`;
      out += name.length < 30 ? `${name.padEnd(30)}${spec.summary}\n` : `${name} ${spec.summary}\n`;
    }
    out += "\n";
  }
  return `${out}For more information on a command, try \`${prog} COMMAND --help'.\n`;
}

function printCommandList(ctx: CommandContext): number {
  ctx.io.out(commandListText(ctx.prog));
  return 0;
}
