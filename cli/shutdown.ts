/**
 * `shutdown [-h|-H|-P|-r|-k|-c] TIME [MESSAGE]` (see docs/shutdown.md). `now` warns logged-in
 * users and asks init to change runlevel at once. A later TIME starts a background copy of
 * shutdown (its pid in /run/shutdown.pid) that warns at the usual marks, writes /run/nologin five
 * minutes before, and then asks init; `shutdown -c` ends it.
 *
 * The launcher passes `--daybreak-self=PATH` (itself, to start the background copy), and
 * `--daybreak-pending=PID` when /run/shutdown.pid names a live process (Deno may not read /proc
 * under narrow permissions); the background copy gets `--daybreak-waiter`.
 *
 * @module
 */

import { type CliOutput, processOutput } from "./io.ts";
import {
  ArgsError,
  delayMs,
  parseShutdownArgs,
  type ShutdownCommand,
  type ShutdownTime,
} from "./shutdown_args.ts";
import {
  nextMarkMs,
  NOLOGIN_BEFORE_MS,
  type PlannedAction,
  wantsNologin,
  warningText,
} from "./shutdown_plan.ts";
import { readRunlevels } from "../compat_sysv/utmp_file.ts";
import {
  recordingRequest,
  type requestRunlevel,
  type RunlevelRequest,
  SYSTEM_SOCKET,
} from "./shutdown_request.ts";

/** Where the pending shutdown's pid is kept. */
export const PID_FILE = "/run/shutdown.pid";
/** Its presence stops new logins (pam_nologin). */
export const NOLOGIN_FILE = "/run/nologin";

const USAGE = `Usage: shutdown [OPTION]... TIME [MESSAGE]
Bring the system down.

  -r          reboot after shutdown
  -h          halt or power off after shutdown
  -H          halt after shutdown (implies -h)
  -P          power off after shutdown (implies -h)
  -c          cancel a pending shutdown
  -k          only send the warnings, do not shut down
  -a, -f, -F, -n, -q, -t SEC
              accepted for compatibility
      --socket PATH  the daemon to ask (default ${SYSTEM_SOCKET})
      --help  show this help

TIME is "now", "+M" (in M minutes) or "HH:MM" (the next such time).
`;

/** What shutdown does to the world; tests replace any of them. */
export interface ShutdownPorts {
  readonly output: CliOutput;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /** Sends a message to every logged-in user (`wall`, when installed). */
  readonly wall: (text: string) => Promise<void>;
  readonly currentRunlevel: () => Promise<string>;
  readonly requestRunlevel: typeof requestRunlevel;
  /** Starts the background copy; returns its pid. */
  readonly startWaiter: (self: string, args: readonly string[]) => number;
  readonly writeFile: (path: string, text: string) => Promise<void>;
  readonly removeFile: (path: string) => Promise<void>;
  readonly terminate: (pid: number) => void;
  /** Calls `onTerm` on SIGTERM (the background copy's cancellation). */
  readonly onTerminate: (onTerm: () => void) => void;
}

async function runWall(text: string): Promise<void> {
  try {
    const child = new Deno.Command("wall", { stdin: "piped", stdout: "null", stderr: "null" })
      .spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(text));
    await writer.close();
    await child.status;
  } catch {
    // No wall (or no terminal to write to): the warning is a courtesy.
  }
}

/** The real ports. */
export const REAL_SHUTDOWN_PORTS: ShutdownPorts = {
  output: processOutput,
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  wall: runWall,
  currentRunlevel: async () => (await readRunlevels()).runlevel,
  requestRunlevel: recordingRequest("shutdown"),
  startWaiter(self, args) {
    const child = new Deno.Command(self, {
      args: ["--daybreak-waiter", ...args],
      stdin: "null",
      stdout: "null",
      stderr: "null",
      detached: true,
    }).spawn();
    child.unref();
    return child.pid;
  },
  writeFile: (path, text) => Deno.writeTextFile(path, text),
  removeFile: (path) => Deno.remove(path).catch(() => {}),
  terminate: (pid) => Deno.kill(pid, "SIGTERM"),
  onTerminate: (onTerm) => Deno.addSignalListener("SIGTERM", onTerm),
};

/** Launcher-supplied facts, stripped from the front of argv. */
interface Hidden {
  self: string | null;
  pending: number | null;
  waiter: boolean;
}

function splitHidden(argv: readonly string[]): { hidden: Hidden; args: string[] } {
  const hidden: Hidden = { self: null, pending: null, waiter: false };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith("--daybreak-self=")) hidden.self = arg.slice(16);
    else if (arg.startsWith("--daybreak-pending=")) {
      const pid = Number(arg.slice(19));
      hidden.pending = Number.isInteger(pid) && pid > 0 ? pid : null;
    } else if (arg === "--daybreak-waiter") hidden.waiter = true;
    else break;
  }
  return { hidden, args: argv.slice(i) };
}

type Scheduled = Extract<ShutdownCommand, { kind: "schedule" }>;

function plannedAction(command: Scheduled): PlannedAction {
  if (command.action === "halt") return command.haltMode === "halt" ? "halt" : "poweroff";
  return command.action;
}

function request(command: Scheduled, previous: string): RunlevelRequest | null {
  switch (command.action) {
    case "warn":
      return null;
    case "reboot":
      return { runlevel: "6", previous, haltMode: null };
    case "single":
      return { runlevel: "1", previous, haltMode: null };
    case "halt":
      return { runlevel: "0", previous, haltMode: command.haltMode };
  }
}

/** The end of a shutdown: the last warning, then the runlevel change. */
async function goDown(command: Scheduled, ports: ShutdownPorts): Promise<void> {
  await ports.wall(warningText(plannedAction(command), 0, command.message));
  const change = request(command, await ports.currentRunlevel());
  if (change !== null) await ports.requestRunlevel(change, command.socket ?? SYSTEM_SOCKET);
}

function describeTime(time: ShutdownTime, now: Date): string {
  const at = new Date(now.getTime() + delayMs(time, now));
  const hh = String(at.getHours()).padStart(2, "0");
  const mm = String(at.getMinutes()).padStart(2, "0");
  return `${hh}:${mm}`;
}

/** The background copy: warn at each mark, block logins near the end, then go down. */
async function wait(command: Scheduled, ports: ShutdownPorts): Promise<number> {
  const action = plannedAction(command);
  const end = ports.now().getTime() + delayMs(command.time, ports.now());
  let nologin = false;
  let cancelled = false;
  let wake = (): void => {};
  const woken = new Promise<void>((resolve) => wake = resolve);
  ports.onTerminate(() => {
    cancelled = true;
    wake();
  });
  let warnAt = Infinity;
  for (;;) {
    const remaining = end - ports.now().getTime();
    if (cancelled) break;
    if (!nologin && wantsNologin(action, remaining)) {
      nologin = true;
      await ports.writeFile(
        NOLOGIN_FILE,
        warningText(action, Math.ceil(remaining / 60_000), command.message),
      );
    }
    if (remaining <= 0) break;
    if (remaining <= warnAt) {
      await ports.wall(warningText(action, Math.round(remaining / 60_000), command.message));
      warnAt = nextMarkMs(remaining);
    }
    // Wake at the next mark, at the nologin moment, and at least once a minute (a suspended
    // machine's clock jumps).
    let sleepMs = Math.min(remaining - warnAt, 60_000);
    if (!nologin && action !== "warn") sleepMs = Math.min(sleepMs, remaining - NOLOGIN_BEFORE_MS);
    await Promise.race([ports.sleep(Math.max(sleepMs, 1)), woken]);
  }
  if (cancelled) {
    if (nologin) await ports.removeFile(NOLOGIN_FILE);
    return 0;
  }
  await ports.removeFile(PID_FILE);
  await goDown(command, ports);
  return 0;
}

async function cancel(
  message: string,
  pending: number | null,
  ports: ShutdownPorts,
): Promise<number> {
  if (pending === null) {
    ports.output.err("shutdown: no shutdown is pending\n");
    return 1;
  }
  ports.terminate(pending);
  await ports.removeFile(NOLOGIN_FILE);
  await ports.removeFile(PID_FILE);
  await ports.wall(
    `The system shutdown has been cancelled.\n${message === "" ? "" : `${message}\n`}`,
  );
  return 0;
}

/**
 * Runs shutdown.
 *
 * @param argv the launcher's hidden options, then the user's arguments
 * @param ports the side effects
 * @returns the exit status
 */
export async function main(
  argv: readonly string[],
  ports: ShutdownPorts = REAL_SHUTDOWN_PORTS,
): Promise<number> {
  const { hidden, args } = splitHidden(argv);
  let command: ShutdownCommand;
  try {
    command = parseShutdownArgs(args);
  } catch (e) {
    if (!(e instanceof ArgsError)) throw e;
    ports.output.err(`shutdown: ${e.message}\nTry \`shutdown --help' for more information.\n`);
    return 1;
  }
  try {
    if (command.kind === "help") {
      ports.output.out(USAGE);
      return 0;
    }
    if (command.kind === "cancel") return await cancel(command.message, hidden.pending, ports);
    if (hidden.waiter) return await wait(command, ports);
    if (command.time.kind === "now") {
      await goDown(command, ports);
      return 0;
    }
    if (hidden.pending !== null) {
      ports.output.err(
        `shutdown: a shutdown is already pending (pid ${hidden.pending}); cancel it with shutdown -c\n`,
      );
      return 1;
    }
    if (hidden.self === null) {
      ports.output.err("shutdown: cannot schedule: run through the shutdown launcher\n");
      return 1;
    }
    const pid = ports.startWaiter(hidden.self, args);
    await ports.writeFile(PID_FILE, `${pid}\n`);
    ports.output.out(
      `Shutdown scheduled for ${
        describeTime(command.time, ports.now())
      }, use 'shutdown -c' to cancel.\n`,
    );
    return 0;
  } catch (e) {
    ports.output.err(`shutdown: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
