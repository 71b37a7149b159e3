/**
 * The command lines of `shutdown`, `halt`, `poweroff` and `reboot`, parsed with no side effect
 * (see docs/shutdown.md). Options follow sysvinit's getopt conventions: short options may be
 * clustered (`halt -dfiph`, as Debian's halt script writes it), `--` ends them, and an option's
 * argument may be glued to it (`-t5`) or follow it.
 *
 * @module
 */

/** What a parse failure was; tests and callers match on this, never on the text. */
export type ArgsErrorCode =
  | "unknown-option"
  | "missing-argument"
  | "missing-time"
  | "bad-time"
  | "conflict";

/** A mistake in the command line. */
export class ArgsError extends Error {
  /** Which mistake. */
  readonly code: ArgsErrorCode;

  /**
   * @param code which mistake
   * @param message the text printed after `PROG: `
   */
  constructor(code: ArgsErrorCode, message: string) {
    super(message);
    this.name = "ArgsError";
    this.code = code;
  }
}

/** When a shutdown happens: at once, after some minutes, or at the next wall-clock HH:MM. */
export type ShutdownTime =
  | { readonly kind: "now" }
  | { readonly kind: "in"; readonly minutes: number }
  | { readonly kind: "at"; readonly hour: number; readonly minute: number };

/** What the machine does at the end: `halt` stops the CPU, `poweroff` turns it off. */
export type HaltMode = "halt" | "poweroff";

/** A parsed `shutdown` command line. */
export type ShutdownCommand =
  | { readonly kind: "help" }
  | { readonly kind: "cancel"; readonly message: string }
  | {
    readonly kind: "schedule";
    /**
     * `reboot` (`-r`), `halt` (`-h`: INIT_HALT left to the system unless `-H`/`-P`), `warn`
     * (`-k`: only the warnings), or `single` (no action option: runlevel 1, as sysvinit does).
     */
    readonly action: "reboot" | "halt" | "warn" | "single";
    /** `-H` → `"halt"`, `-P` → `"poweroff"`, plain `-h` → `null`. */
    readonly haltMode: HaltMode | null;
    readonly time: ShutdownTime;
    readonly message: string;
    /** `--socket PATH` (a daybreak extension): the daemon to tell. */
    readonly socket: string | null;
  };

/** What `halt`, `poweroff` and `reboot` were asked to do. */
export type HaltCommand =
  | { readonly kind: "help" }
  | {
    readonly kind: "halt";
    readonly action: "halt" | "poweroff" | "reboot";
    /** `-f`: call reboot(2) at once instead of asking init to change runlevel. */
    readonly force: boolean;
    /** `-n`: do not sync before reboot(2). */
    readonly noSync: boolean;
    /** `-w`: only write the wtmp record. */
    readonly wtmpOnly: boolean;
    /** `-d`: do not write the wtmp record. */
    readonly noWtmp: boolean;
    /** `--socket PATH` (a daybreak extension): the daemon to tell. */
    readonly socket: string | null;
  };

interface Cursor {
  readonly args: readonly string[];
  index: number;
}

/**
 * Walks a command line getopt-style, calling `onOption` for every short option (the option
 * letter, and a function that takes its argument) and collecting the operands.
 */
function walk(
  argv: readonly string[],
  withArgument: ReadonlySet<string>,
  onOption: (option: string, argument: () => string) => void,
  onLong: (name: string, argument: () => string) => void,
): string[] {
  const cursor: Cursor = { args: argv, index: 0 };
  const operands: string[] = [];
  while (cursor.index < argv.length) {
    const arg = argv[cursor.index++]!;
    if (arg === "--") {
      operands.push(...argv.slice(cursor.index));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      onLong(name, () => {
        if (eq >= 0) return arg.slice(eq + 1);
        const next = argv[cursor.index++];
        if (next === undefined) {
          throw new ArgsError("missing-argument", `option '--${name}' requires an argument`);
        }
        return next;
      });
      continue;
    }
    if (!arg.startsWith("-") || arg === "-") {
      operands.push(arg);
      continue;
    }
    for (let i = 1; i < arg.length; i++) {
      const option = arg[i]!;
      if (withArgument.has(option)) {
        const glued = arg.slice(i + 1);
        onOption(option, () => {
          if (glued !== "") return glued;
          const next = argv[cursor.index++];
          if (next === undefined) {
            throw new ArgsError("missing-argument", `option requires an argument -- '${option}'`);
          }
          return next;
        });
        break;
      }
      onOption(option, () => "");
    }
  }
  return operands;
}

function unknownOption(option: string): never {
  throw new ArgsError("unknown-option", `invalid option -- '${option}'`);
}

/**
 * Parses the TIME operand of `shutdown`: `now`, `+M` (minutes) or `HH:MM` (24-hour clock).
 *
 * @param text the operand
 * @returns the time
 * @throws {ArgsError} `bad-time`
 */
export function parseShutdownTime(text: string): ShutdownTime {
  if (text === "now") return { kind: "now" };
  const relative = /^\+?(\d{1,6})$/.exec(text);
  if (relative !== null) {
    const minutes = Number(relative[1]);
    return minutes === 0 ? { kind: "now" } : { kind: "in", minutes };
  }
  const clock = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (clock !== null) {
    const hour = Number(clock[1]);
    const minute = Number(clock[2]);
    if (hour < 24 && minute < 60) return { kind: "at", hour, minute };
  }
  throw new ArgsError("bad-time", `illegal time value: ${text}`);
}

/**
 * How long to wait for a shutdown time. `HH:MM` means its next occurrence in local time: later
 * today, or tomorrow when it has passed (sysvinit's rule).
 *
 * @param time the parsed time
 * @param now the current time
 * @returns milliseconds from `now`, 0 for `now`
 */
export function delayMs(time: ShutdownTime, now: Date): number {
  switch (time.kind) {
    case "now":
      return 0;
    case "in":
      return time.minutes * 60_000;
    case "at": {
      const target = new Date(now);
      target.setHours(time.hour, time.minute, 0, 0);
      if (target.getTime() <= now.getTime()) target.setDate(target.getDate() + 1);
      return target.getTime() - now.getTime();
    }
  }
}

/**
 * Parses `shutdown [-h|-H|-P|-r|-k|-c] [-afFnq] [-t SEC] TIME [MESSAGE]`. `-a`, `-f`, `-F`, `-n`,
 * `-q` and `-t SEC` are accepted for compatibility and change nothing.
 *
 * @param argv the arguments after the program name
 * @returns the command
 * @throws {ArgsError} on an unknown option, two actions, or a missing or bad TIME
 */
export function parseShutdownArgs(argv: readonly string[]): ShutdownCommand {
  let action: "reboot" | "halt" | "warn" | "cancel" | null = null;
  let haltMode: HaltMode | null = null;
  let socket: string | null = null;
  let help = false;
  const setAction = (next: "reboot" | "halt" | "warn" | "cancel"): void => {
    if (action !== null && action !== next) {
      throw new ArgsError("conflict", "options -r, -h, -H, -P, -k and -c are exclusive");
    }
    action = next;
  };
  const setHaltMode = (mode: HaltMode): void => {
    if (haltMode !== null && haltMode !== mode) {
      throw new ArgsError("conflict", "options -H and -P are exclusive");
    }
    haltMode = mode;
    setAction("halt");
  };
  const operands = walk(argv, new Set(["t"]), (option, argument) => {
    switch (option) {
      case "r":
        return setAction("reboot");
      case "h":
        return setAction("halt");
      case "H":
        return setHaltMode("halt");
      case "P":
        return setHaltMode("poweroff");
      case "k":
        return setAction("warn");
      case "c":
        return setAction("cancel");
      case "a":
      case "f":
      case "F":
      case "n":
      case "q":
        return;
      case "t":
        if (!/^\d+$/.test(argument())) {
          throw new ArgsError("bad-time", "option -t needs a number of seconds");
        }
        return;
      default:
        unknownOption(option);
    }
  }, (name, argument) => {
    if (name === "help") help = true;
    else if (name === "socket") socket = argument();
    else throw new ArgsError("unknown-option", `unrecognized option '--${name}'`);
  });
  if (help) return { kind: "help" };
  const chosen = action as "reboot" | "halt" | "warn" | "cancel" | null;
  if (chosen === "cancel") return { kind: "cancel", message: operands.join(" ") };
  const [timeText, ...message] = operands;
  if (timeText === undefined) throw new ArgsError("missing-time", "time expected");
  return {
    kind: "schedule",
    action: chosen ?? "single",
    haltMode,
    time: parseShutdownTime(timeText),
    message: message.join(" "),
    socket,
  };
}

/** The action each program name implies (`halt`, `poweroff`, `reboot`). */
export const HALT_PROGRAMS: Readonly<Record<string, "halt" | "poweroff" | "reboot">> = {
  halt: "halt",
  poweroff: "poweroff",
  reboot: "reboot",
};

/**
 * Parses `halt|poweroff|reboot [-n] [-w] [-d] [-f] [-i] [-p] [-h]` as sysvinit does. `-p` turns
 * a halt into a power-off; `-i` and `-h` (interfaces down, disks to standby) are accepted and
 * left to the kernel's own shutdown.
 *
 * @param program `halt`, `poweroff` or `reboot`
 * @param argv the arguments after the program name
 * @returns the command
 * @throws {ArgsError} on an unknown option or an operand
 */
export function parseHaltArgs(program: string, argv: readonly string[]): HaltCommand {
  let action = HALT_PROGRAMS[program] ?? "halt";
  let force = false, noSync = false, wtmpOnly = false, noWtmp = false, help = false;
  let socket: string | null = null;
  const operands = walk(argv, new Set(), (option) => {
    switch (option) {
      case "f":
        force = true;
        return;
      case "n":
        noSync = true;
        return;
      case "w":
        wtmpOnly = true;
        return;
      case "d":
        noWtmp = true;
        return;
      case "p":
        if (action === "halt") action = "poweroff";
        return;
      case "i":
      case "h":
        return;
      default:
        unknownOption(option);
    }
  }, (name, argument) => {
    if (name === "help") help = true;
    else if (name === "socket") socket = argument();
    else if (name === "force") force = true;
    else if (name === "poweroff" && action === "halt") action = "poweroff";
    else if (name === "reboot") action = "reboot";
    else if (name === "halt") action = "halt";
    else if (name === "no-wtmp") noWtmp = true;
    else if (name === "wtmp-only") wtmpOnly = true;
    else if (name !== "no-sync") {
      throw new ArgsError("unknown-option", `unrecognized option '--${name}'`);
    } else noSync = true;
  });
  if (help) return { kind: "help" };
  if (operands.length > 0) {
    throw new ArgsError("unknown-option", `unexpected argument: ${operands[0]}`);
  }
  return { kind: "halt", action, force, noSync, wtmpOnly, noWtmp, socket };
}
