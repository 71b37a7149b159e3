/**
 * `init` command-line options (see docs/behaviour.md#init-daemon) and the paths they lead to in
 * system and user mode (see docs/configuration.md#sources, docs/behaviour.md#user-session,
 * docs/behaviour.md#job-logs). Pure: the environment, uid and pid come in as data.
 *
 * @module
 */

import { parseArgv } from "./parse_argv.ts";
import type { ConsoleMode } from "../parser/types.ts";
import { SESSION_DIR_RELATIVE, SYSTEM_SOCKET } from "../protocol/addresses.ts";
import { type MetricsAddress, MetricsAddressError, parseMetricsAddress } from "./metrics_server.ts";

/** Log priorities, lowest first (see docs/behaviour.md#daemon-log). */
export const LOG_PRIORITIES = ["debug", "info", "message", "warn", "error", "fatal"] as const;
export type LogPriority = typeof LOG_PRIORITIES[number];

/** Parsed `init` options. */
export interface InitOptions {
  /**
   * Options init does not know, as given (`--bogus`). The kernel passes PID 1 words of its own
   * command line, so only PID 1 tolerates them; everywhere else they are a usage error.
   */
  readonly unknown: readonly string[];
  readonly user: boolean;
  /** `--system`: system mode without being PID 1 (tests, or under another init). */
  readonly system: boolean;
  readonly confdirs: readonly string[];
  readonly prependConfdirs: readonly string[];
  readonly appendConfdirs: readonly string[];
  readonly logdir: string | null;
  readonly socket: string | null;
  /** `--socket-mode OCTAL`; null = 0666 (system: everyone may query) or 0600 (user). */
  readonly socketMode: number | null;
  /** `null` = no startup event (`--no-startup-event`). */
  readonly startupEvent: string | null;
  readonly inheritEnv: boolean;
  readonly defaultConsole: ConsoleMode;
  readonly logPriority: LogPriority;
  /**
   * Fixes of Upstart bugs (see docs/behaviour.md#upstart-fixes), off by default; see
   * `daemon/engine/engine.ts`.
   */
  readonly fixes: UpstartFixes;
  readonly help: boolean;
  readonly version: boolean;
  /** `--metrics ADDR`: serve Prometheus metrics there (docs/seeing.md#metrics); off when absent. */
  readonly metrics?: MetricsAddress | null;
  /** `--log-timestamps`: prefix each job log line with its time (docs/seeing.md#logs). */
  readonly logTimestamps?: boolean;
}

/** The engine's docs/behaviour.md#upstart-fixes options, as `init` flags set them. */
export interface UpstartFixes {
  /** `--restart-keeps-env` */
  readonly restartKeepsEnv: boolean;
  /** `--restart-full-cycle` */
  readonly restartFullCycle: boolean;
  /** `--stop-interrupts-hooks` */
  readonly stopInterruptsHooks: boolean;
  /** `--hook-timeout SECONDS` (0 = none) */
  readonly hookTimeout: number;
  /** `--respawn-backoff BASE_MS[:MAX_MS]` */
  readonly respawnBackoff: { readonly baseMs: number; readonly maxMs: number } | null;
}

/**
 * A bad option value (see docs/behaviour.md#init-daemon: an invalid `--default-console` is fatal).
 */
export class InitUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InitUsageError";
  }
}

const CONSOLES: readonly ConsoleMode[] = ["none", "log", "output", "owner"];

/** Every option `init` knows (container mode has its own, stricter parse). */
const INIT_OPTIONS = {
  user: { type: "boolean" },
  system: { type: "boolean" },
  confdir: { type: "string", multiple: true },
  "prepend-confdir": { type: "string", multiple: true },
  "append-confdir": { type: "string", multiple: true },
  logdir: { type: "string" },
  socket: { type: "string" },
  "socket-mode": { type: "string" },
  "no-startup-event": { type: "boolean" },
  "startup-event": { type: "string" },
  "no-inherit-env": { type: "boolean" },
  "default-console": { type: "string" },
  "no-log": { type: "boolean" },
  debug: { type: "boolean" },
  verbose: { type: "boolean", short: "v" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean" },
  version: { type: "boolean" },
  "restart-keeps-env": { type: "boolean" },
  "restart-full-cycle": { type: "boolean" },
  "stop-interrupts-hooks": { type: "boolean" },
  "hook-timeout": { type: "string" },
  "respawn-backoff": { type: "string" },
  metrics: { type: "string" },
  "log-timestamps": { type: "boolean" },
} as const;

/**
 * Parses init's argv. Unknown options and stray words are ignored, as the
 * kernel passes arbitrary words to PID 1.
 *
 * @throws {InitUsageError} for an invalid `--default-console` value.
 */
export function parseInitOptions(argv: readonly string[]): InitOptions {
  const { values, tokens } = parseArgv(argv, INIT_OPTIONS);
  const unknown = tokens.flatMap((t) =>
    t.kind === "option" && !Object.hasOwn(INIT_OPTIONS, t.name) ? [t.rawName] : []
  );
  const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
  const list = (v: unknown): string[] =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  let defaultConsole: ConsoleMode = "log";
  const console = str(values["default-console"]);
  if (console !== null) {
    if (!(CONSOLES as readonly string[]).includes(console)) {
      throw new InitUsageError(`Invalid default console value: ${console}`);
    }
    defaultConsole = console as ConsoleMode;
  }
  const modeText = str(values["socket-mode"]);
  const socketMode = modeText === null ? null : Number.parseInt(modeText, 8);
  if (socketMode !== null && (!/^[0-7]{1,4}$/.test(modeText ?? "") || socketMode > 0o777)) {
    throw new InitUsageError(`Invalid socket mode: ${modeText}`);
  }
  const hookText = str(values["hook-timeout"]);
  if (hookText !== null && !/^\d+$/.test(hookText)) {
    throw new InitUsageError(`Invalid hook timeout: ${hookText}`);
  }
  const backoffText = str(values["respawn-backoff"]);
  let respawnBackoff: UpstartFixes["respawnBackoff"] = null;
  if (backoffText !== null) {
    const m = /^(\d+)(?::(\d+))?$/.exec(backoffText);
    if (m === null || Number(m[1]) === 0) {
      throw new InitUsageError(`Invalid respawn back-off: ${backoffText}`);
    }
    const baseMs = Number(m[1]);
    respawnBackoff = { baseMs, maxMs: Math.max(baseMs, Number(m[2] ?? baseMs * 64)) };
  }
  if (values["no-log"] === true && defaultConsole === "log") defaultConsole = "none";
  const logPriority: LogPriority = values.debug === true
    ? "debug"
    : values.verbose === true
    ? "info"
    : values.quiet === true
    ? "error"
    : "message";
  return {
    unknown,
    user: values.user === true,
    system: values.system === true,
    confdirs: list(values.confdir),
    prependConfdirs: list(values["prepend-confdir"]),
    appendConfdirs: list(values["append-confdir"]),
    logdir: str(values.logdir),
    socket: str(values.socket),
    socketMode,
    startupEvent: values["no-startup-event"] === true
      ? null
      : str(values["startup-event"]) ?? "startup",
    inheritEnv: values["no-inherit-env"] !== true,
    defaultConsole,
    logPriority,
    fixes: {
      restartKeepsEnv: values["restart-keeps-env"] === true,
      restartFullCycle: values["restart-full-cycle"] === true,
      stopInterruptsHooks: values["stop-interrupts-hooks"] === true,
      hookTimeout: hookText === null ? 0 : Number(hookText),
      respawnBackoff,
    },
    help: values.help === true,
    version: values.version === true,
    ...seeingOptions(str(values.metrics), values["log-timestamps"] === true),
  };
}

/** Where a daemon keeps its files. */
export interface DaemonPaths {
  readonly socket: string;
  /**
   * `null` when there is no `XDG_RUNTIME_DIR` (no session file is written,
   * docs/behaviour.md#user-session).
   */
  readonly sessionFile: string | null;
  readonly logDir: string;
}

/**
 * The socket, session file and log directory for these options.
 *
 * User mode: the socket sits in `$XDG_RUNTIME_DIR/upstart/sessions/` beside
 * the session file (a private 0700 directory), or in a fresh directory under
 * `/tmp` when there is no runtime dir; logs go to `$XDG_CACHE_HOME/upstart`
 * (absolute values only) or `~/.cache/upstart`.
 */
export function daemonPaths(
  options: InitOptions,
  ctx: { env: Readonly<Record<string, string | undefined>>; pid: number; uid: number },
): DaemonPaths {
  const { env, pid, uid } = ctx;
  if (!options.user) {
    return {
      socket: options.socket ?? SYSTEM_SOCKET,
      sessionFile: null,
      logDir: options.logdir ?? env.UPSTART_LOGDIR ?? "/var/log/upstart",
    };
  }
  const runtime = env.XDG_RUNTIME_DIR?.startsWith("/") ? env.XDG_RUNTIME_DIR : null;
  const sessionDir = runtime === null ? null : `${runtime}/${SESSION_DIR_RELATIVE}`;
  const cache = env.XDG_CACHE_HOME?.startsWith("/")
    ? env.XDG_CACHE_HOME
    : `${env.HOME ?? "/"}/.cache`.replace(/^\/\//, "/");
  return {
    socket: options.socket ??
      (sessionDir === null
        ? `/tmp/daybreak-${uid}/session-${pid}.sock`
        : `${sessionDir}/${pid}.sock`),
    sessionFile: sessionDir === null ? null : `${sessionDir}/${pid}.session`,
    logDir: options.logdir ?? `${cache}/upstart`,
  };
}

/** `init --container` options (see docs/container.md). */
export interface ContainerOptions {
  readonly confdirs: readonly string[];
  /** Seconds between SIGTERM and SIGKILL for what is left when the main process has ended. */
  readonly gracePeriod: number;
  /** `--socket PATH`; null = the system socket (root) or a per-container one in /tmp. */
  readonly socket: string | null;
  readonly logdir: string | null;
  readonly logPriority: LogPriority;
  /** The main process: `CMD [ARG]...` (empty with `--help`). */
  readonly command: readonly string[];
  /** `--help`: print the usage and exit. */
  readonly help: boolean;
}

/** The default `--grace-period`, in seconds. */
export const DEFAULT_GRACE_PERIOD = 5;

/** true when `argv` asks for container mode (`--container` before any `--` or command word). */
export function isContainerMode(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === "--container") return true;
    if (arg === "--") return false;
  }
  return false;
}

/**
 * Parses `init --container [OPTION]... [--] CMD [ARG]...`. Options end at `--` or at the first
 * word that is not an option (the command); unlike the PID-1 parse, an unknown option is an
 * error, since a container's command line is written by a person.
 *
 * @throws {InitUsageError} for an unknown option, a bad value or a missing command.
 */
export function parseContainerOptions(argv: readonly string[]): ContainerOptions {
  const confdirs: string[] = [];
  let gracePeriod = DEFAULT_GRACE_PERIOD;
  let socket: string | null = null;
  let logdir: string | null = null;
  let logPriority: LogPriority = "message";
  let i = 0;
  const value = (name: string, inline: string | undefined): string => {
    if (inline !== undefined) return inline;
    const next = argv[++i];
    if (next === undefined) throw new InitUsageError(`option '${name}' requires an argument`);
    return next;
  };
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      i++;
      break;
    }
    if (!arg.startsWith("-") || arg === "-") break;
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = name === arg ? undefined : arg.slice(eq + 1);
    switch (name) {
      case "--container":
        break;
      case "--help":
        return { confdirs, gracePeriod, socket, logdir, logPriority, command: [], help: true };
      case "--confdir":
        confdirs.push(value(name, inline));
        break;
      case "--grace-period": {
        const text = value(name, inline);
        if (!/^\d+(\.\d+)?$/.test(text)) throw new InitUsageError(`Invalid grace period: ${text}`);
        gracePeriod = Number(text);
        break;
      }
      case "--socket":
        socket = value(name, inline);
        break;
      case "--logdir":
        logdir = value(name, inline);
        break;
      case "--debug":
        logPriority = "debug";
        break;
      case "-v":
      case "--verbose":
        logPriority = "info";
        break;
      case "-q":
      case "--quiet":
        logPriority = "error";
        break;
      default:
        throw new InitUsageError(`unrecognized option '${arg}'`);
    }
  }
  const command = argv.slice(i);
  if (command.length === 0) throw new InitUsageError("no command given");
  return { confdirs, gracePeriod, socket, logdir, logPriority, command, help: false };
}

/** `--metrics` and `--log-timestamps` (docs/seeing.md). @throws {InitUsageError} */
function seeingOptions(metrics: string | null, logTimestamps: boolean) {
  try {
    return { metrics: metrics === null ? null : parseMetricsAddress(metrics), logTimestamps };
  } catch (e) {
    if (e instanceof MetricsAddressError) throw new InitUsageError(e.message);
    throw e;
  }
}
