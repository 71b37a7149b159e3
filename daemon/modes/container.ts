/**
 * Container mode: `init --container [OPTION]... [--] CMD [ARG]...` as a container's PID 1
 * (see docs/container.md).
 *
 * The main process (CMD) is spawned through posix_spawnp (sys/posix_spawn.ts) with an empty
 * blocked mask, default dispositions and its own process group, and waited for by pid on
 * SIGCHLD. Every signal Deno lets init listen to is forwarded to it; init exits with its status
 * (128+N when it died of signal N). Orphans are reaped (PID 1, or a child subreaper).
 *
 * Job files from `--confdir` (or /etc/init when present) run beside it as sidecars, in the
 * ordinary daemon ({@linkcode startSidecars}): `starting main` / `started main` and
 * `stopping main` / `stopped main` are emitted as `starting`/`started`/`stopping`/`stopped`
 * events with `JOB=main`, so `start on started main` works; `initctl` talks to its socket.
 *
 * When the main process ends: sidecars are stopped (each within its kill timeout), every process
 * left gets SIGTERM, then SIGKILL after the grace period, and init exits with main's status.
 *
 * @module
 */

import {
  ECHILD,
  ENOENT,
  ownedTerminal,
  posixSpawnp,
  sendSignal,
  setThreadSignalMask,
  SIGNAL_MAX,
  signalsOf,
  SpawnSysError,
  waitpidNoHang,
  type WaitStatus,
} from "../../sys/posix_spawn.ts";
import { type ContainerOptions, InitUsageError, parseContainerOptions } from "../options.ts";
import { claimChild, Reaper, releaseChild } from "../supervisor/reaper.ts";
import { listDescendants, readProcStat } from "../../sys/procfs.ts";
import { readText, strerror } from "../../sys/libc.ts";
import { watchBlockedSignals } from "../../sys/signalfd.ts";
import { type Sidecars, startSidecars } from "./container_sidecars.ts";

/**
 * The signals init forwards through Deno's listeners: 1–31 except KILL, STOP and CHLD, less the
 * three Deno refuses to listen to ({@linkcode FAULT_SIGNALS}). Names in signal order.
 */
export const FORWARDED_SIGNALS: readonly (readonly [Deno.Signal, number])[] = [
  ["SIGHUP", 1],
  ["SIGINT", 2],
  ["SIGQUIT", 3],
  ["SIGTRAP", 5],
  ["SIGABRT", 6],
  ["SIGBUS", 7],
  ["SIGUSR1", 10],
  ["SIGUSR2", 12],
  ["SIGPIPE", 13],
  ["SIGALRM", 14],
  ["SIGTERM", 15],
  ["SIGSTKFLT" as Deno.Signal, 16],
  ["SIGCONT", 18],
  ["SIGTSTP", 20],
  ["SIGTTIN", 21],
  ["SIGTTOU", 22],
  ["SIGURG", 23],
  ["SIGXCPU", 24],
  ["SIGXFSZ", 25],
  ["SIGVTALRM", 26],
  ["SIGPROF", 27],
  ["SIGWINCH", 28],
  ["SIGIO", 29],
  ["SIGPWR", 30],
  ["SIGSYS", 31],
];

/** Deno refuses listeners for these; bin/init blocks them so a signalfd can read them. */
export const FAULT_SIGNALS: readonly number[] = [4, 8, 11];

const SIGTERM = 15;
const SIGKILL = 9;

/** Variables the launcher (bin/_launch.sh, bin/init) sets for Deno; the main process never sees them. */
const LAUNCHER_VARIABLES = [
  "DENO_DIR",
  "DENO_DISABLE_NODE_SHIM",
  "DENO_NO_UPDATE_CHECK",
  "DENO_NODE_SHIM_ACTIVE",
  "RUST_BACKTRACE",
  "NO_COLOR",
  "DAYBREAK_ROOT",
  "DAYBREAK_DENO",
];
/** bin/init: `NAME=VALUE` lines of launcher variables set before launch (values restored). */
const SAVED_ENV = "DAYBREAK_CONTAINER_SAVED_ENV";
/** bin/init: init's SigIgn mask at launch, before Deno installed its own handlers. */
const SAVED_SIGIGN = "DAYBREAK_CONTAINER_SIGIGN";

/** The environment init was started with: launcher additions undone. */
export function mainEnvironment(env: Readonly<Record<string, string>>): string[] {
  const out = new Map(Object.entries(env));
  const saved = env[SAVED_ENV];
  out.delete(SAVED_ENV);
  out.delete(SAVED_SIGIGN);
  if (saved !== undefined) {
    for (const name of LAUNCHER_VARIABLES) out.delete(name);
    for (const line of saved.split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0 && LAUNCHER_VARIABLES.includes(line.slice(0, eq))) {
        out.set(line.slice(0, eq), line.slice(eq + 1));
      }
    }
  }
  return [...out].map(([k, v]) => `${k}=${v}`);
}

/** A `SigXxx:` mask of `/proc/self/status`. */
function statusMask(field: string): number[] {
  const m = new RegExp(`^${field}:\\s*([0-9a-f]+)`, "m").exec(readText("/proc/self/status") ?? "");
  return m === null ? [] : signalsOf(m[1]!);
}

/** Exit status of init for the main process's end (128+N for signal N, as a shell reports). */
export function exitCodeOf(status: WaitStatus): number {
  return "code" in status ? status.code : 128 + status.signal;
}

const USAGE = `Usage: init --container [--confdir DIR]... [--grace-period SECONDS] \
[--socket PATH] [--logdir DIR] [--] CMD [ARG]...
`;

/** `init --container ARGS...`: resolves with init's exit status (2 for a usage error). */
export async function containerMain(argv: readonly string[]): Promise<number> {
  let options;
  try {
    options = parseContainerOptions(argv);
  } catch (e) {
    if (!(e instanceof InitUsageError)) throw e;
    try {
      Deno.stderr.writeSync(new TextEncoder().encode(`init: ${e.message}\n${USAGE}`));
    } catch { /* nothing to do */ }
    return 2;
  }
  if (options.help) {
    try {
      Deno.stdout.writeSync(new TextEncoder().encode(USAGE));
    } catch { /* nothing to do */ }
    return 0;
  }
  return await runContainer(options);
}

/** Runs container mode; resolves with init's exit status. Never rejects for the main's sake. */
export async function runContainer(
  options: ContainerOptions,
  env: Readonly<Record<string, string>> = Deno.env.toObject(),
): Promise<number> {
  const stderr = (line: string) => {
    try {
      Deno.stderr.writeSync(new TextEncoder().encode(`init: ${line}\n`));
    } catch { /* nothing to do */ }
  };
  const savedIgn = env[SAVED_SIGIGN];
  const startIgnored = new Set(
    savedIgn !== undefined ? signalsOf(savedIgn) : statusMask("SigIgn"),
  );

  // 1. Every listener before the main process exists: as PID 1, a signal nobody handles is
  //    dropped by the kernel. Signals that arrive before the spawn are queued for it.
  let mainPid: number | null = null;
  let mainStatus: WaitStatus | null = null;
  const early: number[] = [];
  let onMainExit: (s: WaitStatus) => void = () => {};
  const mainExited = new Promise<WaitStatus>((r) => (onMainExit = r));
  const forward = (sig: number) => {
    if (mainStatus !== null) return;
    if (mainPid === null) early.push(sig);
    else sendSignal(mainPid, sig);
  };
  const listeners: [Deno.Signal, () => void][] = [];
  for (const [name, num] of FORWARDED_SIGNALS) {
    const fn = () => forward(num);
    try {
      Deno.addSignalListener(name, fn);
      listeners.push([name, fn]);
    } catch (e) {
      stderr(`cannot forward ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const checkMain = () => {
    if (mainPid === null || mainStatus !== null) return;
    let status: WaitStatus | null;
    try {
      status = waitpidNoHang(mainPid);
    } catch (e) {
      if (!(e instanceof SpawnSysError && e.errno === ECHILD)) return;
      status = { code: 255 }; // collected elsewhere: cannot happen while the pid is claimed
    }
    if (status === null) return;
    mainStatus = status;
    releaseChild(mainPid);
    onMainExit(status);
  };
  Deno.addSignalListener("SIGCHLD", checkMain);

  const confdirs = options.confdirs.length > 0
    ? options.confdirs
    : isDirectory("/etc/init")
    ? ["/etc/init"]
    : [];

  // ILL, FPE and SEGV, which Deno does not let a program listen to, are forwarded too when
  // bin/init blocked them in every thread before Deno started: read from a signalfd. Not with
  // sidecars: Deno's spawn passes the JS thread's blocked mask on to jobs, so it is cleared.
  const blockedAtStart = new Set(statusMask("SigBlk"));
  const faults = confdirs.length === 0 && FAULT_SIGNALS.every((s) => blockedAtStart.has(s))
    ? FAULT_SIGNALS
    : [];
  if (faults.length > 0) {
    try {
      watchBlockedSignals(faults, forward);
    } catch (e) {
      stderr(`cannot forward SIGILL, SIGFPE, SIGSEGV: ${String(e)}`);
    }
  }

  // 2. Signals blocked when init started are unblocked (the JS thread is enough: a process
  //    signal goes to any thread that does not block it).
  try {
    setThreadSignalMask(faults);
  } catch (e) {
    stderr(`cannot unblock signals: ${String(e)}`);
  }

  // 3. Orphans: the daemon's reaper when sidecars run, else one of our own.
  let sidecars: Sidecars | null = null;
  let reaper: Reaper | null = null;
  if (confdirs.length > 0) {
    try {
      sidecars = await startSidecars({ ...options, confdirs }, env);
    } catch (e) {
      stderr(`sidecars not started: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (sidecars === null) {
    reaper = new Reaper();
    try {
      reaper.start();
    } catch (e) {
      stderr(`cannot become a child subreaper: ${String(e)}`);
    }
  }
  await sidecars?.emit("starting", ["JOB=main", "INSTANCE="], Infinity).catch((e) =>
    stderr(`starting main: ${e instanceof Error ? e.message : String(e)}`)
  );

  // 4. The main process: empty mask; default dispositions except what init was started ignoring
  //    and still ignores (every signal init forwards has a handler, so resets on exec anyway).
  const stillIgnored = new Set(statusMask("SigIgn").filter((s) => startIgnored.has(s)));
  const sigdefault: number[] = [];
  // 32 and 33 are glibc's own (threads, setxid); ignored ones are an artefact of how init was
  // spawned (Deno.Command leaves them so), never something to pass on.
  for (let s = 1; s <= SIGNAL_MAX; s++) {
    if (!stillIgnored.has(s) || s === 32 || s === 33) sigdefault.push(s);
  }
  const terminal = ownedTerminal(0);
  try {
    mainPid = posixSpawnp({
      file: options.command[0]!,
      argv: options.command,
      env: mainEnvironment(env),
      sigmask: [],
      sigdefault,
      pgroup: 0,
      foregroundFd: terminal === null ? null : 0,
    });
  } catch (e) {
    const err = e instanceof SpawnSysError ? e.errno : -1;
    const cmd = options.command[0]!;
    const code = err === ENOENT ? 127 : 126;
    // 127 and 126 as a shell reports them: not found, found but not executable.
    stderr(`${cmd}: ${err > 0 ? strerror(err) : String(e)}`);
    await finish(sidecars, reaper, listeners, checkMain, options.gracePeriod, null);
    return code;
  }
  claimChild(mainPid);
  for (const sig of early.splice(0)) sendSignal(mainPid, sig);
  checkMain(); // it may already have exited before its SIGCHLD listener could run
  const started = sidecars?.emit("started", ["JOB=main", "INSTANCE="], Infinity).catch(() => {});

  const status = await mainExited;
  await started?.catch(() => {});
  const code = exitCodeOf(status);
  await finish(sidecars, reaper, listeners, checkMain, options.gracePeriod, status);
  return code;
}

/** After the main process: sidecars stopped, the rest terminated, listeners removed. */
async function finish(
  sidecars: Sidecars | null,
  reaper: Reaper | null,
  listeners: readonly [Deno.Signal, () => void][],
  checkMain: () => void,
  gracePeriod: number,
  status: WaitStatus | null,
): Promise<void> {
  if (sidecars !== null) {
    const result = status === null
      ? ["RESULT=failed", "PROCESS=main"]
      : "code" in status
      ? status.code === 0
        ? ["RESULT=ok", "EXIT_STATUS=0"]
        : ["RESULT=failed", "PROCESS=main", `EXIT_STATUS=${status.code}`]
      : ["RESULT=failed", "PROCESS=main", `EXIT_SIGNAL=${signalName(status.signal)}`];
    await sidecars.emit("stopping", ["JOB=main", "INSTANCE=", ...result], gracePeriod * 1000)
      .catch(() => {});
    await sidecars.emit("stopped", ["JOB=main", "INSTANCE=", ...result], gracePeriod * 1000)
      .catch(() => {});
    await sidecars.stopAll().catch(() => {});
  }
  await terminateRemaining(gracePeriod, () => reaper?.scan());
  if (sidecars !== null) await sidecars.close().catch(() => {});
  for (const [name, fn] of listeners) {
    try {
      Deno.removeSignalListener(name, fn);
    } catch { /* gone */ }
  }
  Deno.removeSignalListener("SIGCHLD", checkMain);
  reaper?.stop();
}

/**
 * SIGTERM to every descendant left, SIGKILL to those still alive after `gracePeriod` seconds;
 * returns as soon as none is left (zombies are reaped by whichever reaper runs).
 */
export async function terminateRemaining(gracePeriod: number, scan: () => void): Promise<void> {
  const live = () => listDescendants().filter((p) => readProcStat(p)?.state !== "Z");
  let pids = live();
  if (pids.length === 0) return; // the usual case: exit at once
  for (const p of pids) sendSignal(p, SIGTERM);
  const deadline = performance.now() + gracePeriod * 1000;
  let wait = 1;
  while (pids.length > 0 && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(wait * 2, 50);
    scan();
    pids = live();
  }
  for (let round = 0; round < 40 && pids.length > 0; round++) {
    for (const p of pids) sendSignal(p, SIGKILL);
    await new Promise((r) => setTimeout(r, 10));
    scan();
    pids = live();
  }
  scan();
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

const SIGNAL_NAMES: Readonly<Record<number, string>> = Object.fromEntries([
  ...FORWARDED_SIGNALS.map(([name, num]) => [num, name.slice(3)] as const),
  [4, "ILL"],
  [8, "FPE"],
  [9, "KILL"],
  [11, "SEGV"],
  [17, "CHLD"],
  [19, "STOP"],
]);

function signalName(sig: number): string {
  return SIGNAL_NAMES[sig] ?? String(sig);
}

// bin/init runs this module directly for `--container`: the daemon's modules are then loaded only
// when there are sidecars (daemon/main.ts reaches the same code through containerMain).
