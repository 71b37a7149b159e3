/**
 * `service NAME ACTION [OPTIONS]` and `service --status-all`, as Debian's
 * `service` script (init-system-helpers) behaves on an Upstart system (see
 * docs/sysv.md#service): a job the daemon knows goes through the job
 * commands (`start`, `stop`, `status`, `reload`, and a real stop-then-start
 * for `restart`/`force-reload`), so the output and exit codes are theirs;
 * anything else runs `/etc/init.d/NAME ACTION` with a clean environment.
 *
 * @module
 */

import type { CliOutput } from "../cli/io.ts";

/** The job commands `service` hands native jobs to (bin/NAME). */
export type JobTool = "start" | "stop" | "status" | "reload" | "initctl";

/** The file system as `service` sees it. */
export interface ServiceFs {
  /** A directory's names, or null when it cannot be read. */
  list(dir: string): readonly string[] | null;
  /** Like `test -x`. */
  isExecutable(path: string): boolean;
}

/** What `service` needs from the world; cli/service.ts wires the real ones. */
export interface ServiceDeps {
  /** The caller's environment. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `/etc/init.d` normally. */
  readonly initdDir: string;
  readonly fs: ServiceFs;
  /**
   * Runs a SysV script with exactly `env`, from `/`; `capture` collects its
   * stdout and stderr together instead of passing them through.
   */
  runScript(
    argv: readonly string[],
    env: Readonly<Record<string, string>>,
    capture: boolean,
  ): Promise<{ code: number; output: string }>;
  /** Runs a job command with the caller's environment minus `UPSTART_SESSION`. */
  runTool(tool: JobTool, args: readonly string[], quiet: boolean): Promise<number>;
  /**
   * The daemon's native jobs, each with whether it is running (an instance whose goal is start,
   * as `status` reports it); null when the daemon cannot be asked. Absent: no daemon.
   */
  nativeJobs?(): Promise<ReadonlyMap<string, boolean> | null>;
  readonly io: CliOutput;
}

/** The version line (`--version`, on stderr like Debian's). */
export const SERVICE_VERSION = "service ver. 0.1.0 (daybreak)";
/** Debian's usage line. */
export const SERVICE_USAGE =
  "Usage: service < option > | --status-all | [ service_name [ command | --full-restart ] ]";

/** init.d entries `--status-all` never runs (Debian's two lists). */
const SKIPPED = new Set([
  "functions",
  "halt",
  "killall",
  "single",
  "linuxconf",
  "kudzu",
  "skeleton",
  "README",
  "rc",
  "rcS",
  "reboot",
  "bootclean.sh",
]);

function skipped(name: string): boolean {
  return SKIPPED.has(name) || name.endsWith(".dpkg-dist") || name.endsWith(".dpkg-old");
}

/**
 * The clean environment init scripts run with: `env -i LANG="$LANG"
 * PATH="$PATH" TERM="$TERM"` (set even when empty, as the script does).
 *
 * @param env the caller's environment
 * @returns the scripts' environment
 */
export function scriptEnv(env: ServiceDeps["env"]): Record<string, string> {
  return { LANG: env.LANG ?? "", PATH: env.PATH ?? "", TERM: env.TERM ?? "" };
}

/** The parsed command line. */
export type ServiceCommand =
  | { readonly kind: "usage"; readonly code: number }
  | { readonly kind: "version" }
  | { readonly kind: "status-all" }
  | { readonly kind: "full-restart"; readonly service: string }
  | {
    readonly kind: "action";
    readonly service: string;
    readonly action: string;
    readonly options: readonly string[];
  };

/**
 * Parses the arguments the way Debian's loop does: `--help`/`-h`/`--h*` and
 * `--version`/`-V` anywhere win; `--status-all` only alone; `--full-restart`
 * only as the second of two; otherwise SERVICE ACTION OPTIONS....
 *
 * @param argv the arguments
 * @param isScript whether `/etc/init.d/NAME` is executable (`--full-restart` needs one)
 * @returns what to do
 */
export function parseServiceArgs(
  argv: readonly string[],
  isScript: (name: string) => boolean,
): ServiceCommand {
  if (argv.length === 0) return { kind: "usage", code: 1 };
  let service = "";
  let action = "";
  const options: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const left = argv.length - i;
    if (arg === "--help" || arg === "-h" || arg.startsWith("--h")) {
      return { kind: "usage", code: 0 };
    }
    if (arg === "--version" || arg === "-V") return { kind: "version" };
    if (service === "" && left === 1 && arg === "--status-all") return { kind: "status-all" };
    if (left === 2 && argv[i + 1] === "--full-restart") {
      // Debian consumes only the name here; without a script the next round
      // takes `--full-restart` as the service name.
      if (isScript(arg)) return { kind: "full-restart", service: arg };
    } else if (service === "") service = arg;
    else if (action === "") action = arg;
    else options.push(arg);
  }
  return { kind: "action", service, action, options };
}

async function statusAll(deps: ServiceDeps): Promise<number> {
  const names = (deps.fs.list(deps.initdDir) ?? [])
    .filter((n) => !n.startsWith("."))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const env = scriptEnv(deps.env);
  // One question to the daemon for all of them (see docs/sysv.md#service).
  const jobs = (await deps.nativeJobs?.()) ?? new Map<string, boolean>();
  for (const name of names) {
    const path = `${deps.initdDir}/${name}`;
    if (skipped(name) || !deps.fs.isExecutable(path)) continue;
    const running = jobs.get(name);
    if (running !== undefined) {
      // A native job: the daemon's state, whatever its init.d entry would print.
      deps.io.out(` [ ${running ? "+" : "-"} ]  ${name}\n`);
      continue;
    }
    const { code, output } = await deps.runScript([path, "status"], env, true);
    if (output.toLowerCase().includes("usage:")) deps.io.err(` [ ? ]  ${name}\n`);
    else if (code === 0 && output.replace(/\n+$/, "") !== "") deps.io.out(` [ + ]  ${name}\n`);
    else deps.io.out(` [ - ]  ${name}\n`);
  }
  return 0;
}

/** Whether the daemon runs NAME as a native job (spec: `initctl status NAME` succeeds). */
async function isNativeJob(deps: ServiceDeps, service: string): Promise<boolean> {
  if (service === "" || service.startsWith("-") || service.includes("/")) return false;
  return await deps.runTool("initctl", ["status", service], true) === 0;
}

async function native(
  deps: ServiceDeps,
  service: string,
  action: string,
  options: readonly string[],
): Promise<number | null> {
  switch (action) {
    case "start":
    case "stop":
    case "status":
    case "reload":
      return await deps.runTool(action, [service, ...options], false);
    case "restart":
    case "force-reload":
      // A real stop and start, so that a changed job file is picked up.
      await deps.runTool("stop", [service, ...options], false);
      return await deps.runTool("start", [service, ...options], false);
    default:
      return null;
  }
}

/**
 * Runs `service`.
 *
 * @param argv the arguments after the program name
 * @param deps the world
 * @returns the exit status
 */
export async function service(argv: readonly string[], deps: ServiceDeps): Promise<number> {
  const script = (name: string) => `${deps.initdDir}/${name}`;
  const command = parseServiceArgs(argv, (name) => deps.fs.isExecutable(script(name)));
  switch (command.kind) {
    case "usage":
      deps.io.err(`${SERVICE_USAGE}\n`);
      return command.code;
    case "version":
      deps.io.err(`${SERVICE_VERSION}\n`);
      return 0;
    case "status-all":
      return await statusAll(deps);
    case "full-restart": {
      const env = scriptEnv(deps.env);
      await deps.runScript([script(command.service), "stop"], env, false);
      return (await deps.runScript([script(command.service), "start"], env, false)).code;
    }
    case "action": {
      const { service: name, action, options } = command;
      // Upstart's wrapper also wants /etc/init/NAME.conf; the daemon knowing
      // NAME covers that and jobs from other configuration directories.
      if (await isNativeJob(deps, name)) {
        const code = await native(deps, name, action, options);
        if (code !== null) return code;
      }
      if (name !== "" && !name.includes("/") && deps.fs.isExecutable(script(name))) {
        const args = action === "" ? options : [action, ...options];
        return (await deps.runScript([script(name), ...args], scriptEnv(deps.env), false)).code;
      }
      deps.io.err(`${name}: unrecognized service\n`);
      return 1;
    }
  }
}
