/**
 * `init`: argv → options → a {@linkcode Mode} and the real {@linkcode DaemonPorts} →
 * {@linkcode Daemon}; the daemon's sole exit point. The mode is decided here, once
 * ({@linkcode chooseModeKind}): `--user` → user mode; PID 1, or `--system`, → system mode (as
 * PID 1 after the early boot); otherwise root gets `telinit` with the same arguments, as
 * Upstart's init does (`init 2` acts as `telinit 2`), and anyone else "Need to be root".
 *
 * In every mode an uncaught error or a rejected promise is logged and the daemon goes on (a
 * session manager that dies takes its jobs' supervision with it). As PID 1 nothing may end the
 * process (the kernel panics): if the daemon cannot start, or ends, it re-executes itself.
 *
 * @module
 */

import { Daemon, DAYBREAK_VERSION } from "./daemon.ts";
import type { Mode } from "./modes/mode.ts";
import { earlyBoot } from "./modes/early_boot.ts";
import { createUtmpIfMissing } from "../compat_sysv/utmp_file.ts";
import { systemMode } from "./modes/system.ts";
import { userMode } from "./modes/user.ts";
import { type InitOptions, InitUsageError, isContainerMode, parseInitOptions } from "./options.ts";
import type { DaemonPorts } from "./ports.ts";
import { realPorts } from "./real_ports.ts";
import { readBuiltinProviders } from "./conf/builtin_jobs.ts";
import { realMachine } from "./real_machine.ts";
import { effectiveIds } from "../sys/libc.ts";
import { execv } from "../sys/machine.ts";
import { type ReexecState, takeRestoreState } from "./reexec.ts";

const HELP = `Usage: init [OPTION]...
Process management daemon (daybreak, compatible with Upstart 1.13).

Options:
      --user                  start in user-session mode
      --system                start in system mode without being PID 1 (tests,
                              or under another init); otherwise, not as PID 1,
                              init acts as telinit with the same arguments
      --confdir DIR           load configuration from DIR (repeatable)
      --prepend-confdir DIR   search DIR before the other sources (repeatable)
      --append-confdir DIR    search DIR after the other sources (repeatable)
      --logdir DIR            write job logs to DIR
      --socket PATH           control socket path
      --socket-mode OCTAL     control socket file mode
      --no-startup-event      do not emit the startup event
      --startup-event NAME    emit NAME instead of startup
      --no-inherit-env        jobs do not inherit init's environment (user mode)
      --default-console MODE  none, log, output or owner (default: log)
      --no-log                disable job logging
      --debug, -v/--verbose, -q/--quiet
                              set the daemon log priority
      --metrics ADDR          serve Prometheus metrics at http://ADDR/metrics
                              (127.0.0.1:PORT, [::1]:PORT or a socket path)
      --log-timestamps        start each job log line with its time

Fixes of Upstart bugs (off by default; each changes what some Upstart job does):
      --restart-keeps-env     restart keeps the instance's environment
      --restart-full-cycle    restart runs the whole stop cycle, loads new config
      --stop-interrupts-hooks stop signals a running pre-start/post-start
      --hook-timeout SECONDS  signal hooks that run longer (0 = never)
      --respawn-backoff BASE_MS[:MAX_MS]
                              respawn with exponential back-off, never give up
      --help                  show this help
      --version               show the version
`;

const encoder = new TextEncoder();
const write = (file: { writeSync(p: Uint8Array): number }, text: string) => {
  try {
    file.writeSync(encoder.encode(text));
  } catch { /* nothing to do */ }
};

/** What `init` becomes. */
export type ModeKind = "user" | "system" | "telinit" | "need-root";

/** The decision of {@linkcode main}, from the options and who the process is. */
export function chooseModeKind(
  options: Pick<InitOptions, "user" | "system">,
  self: { readonly pid: number; readonly euid: number },
): ModeKind {
  if (options.user) return "user";
  if (self.euid !== 0) return "need-root";
  return self.pid === 1 || options.system ? "system" : "telinit";
}

/** Runs `telinit` in this process's place (`bin/telinit` next to this launcher's). */
function execTelinit(argv: readonly string[]): number {
  const root = Deno.env.get("DAYBREAK_ROOT");
  const telinit = root !== undefined
    ? `${root}/bin/telinit`
    : new URL("../bin/telinit", import.meta.url).pathname;
  try {
    execv(telinit, [telinit, ...argv]);
  } catch (e) {
    write(Deno.stderr, `init: cannot run ${telinit}: ${e instanceof Error ? e.message : e}\n`);
  }
  return 1;
}

let current: Daemon | null = null;
/** Set once the process is the machine's init in system mode: from then on it never exits. */
let neverExit = false;

/**
 * Keeps the daemon alive through what would end it: an uncaught exception or a rejected promise
 * is logged and the daemon goes on (see docs/pid1.md#never-exits).
 */
function keepGoing(): void {
  const report = (what: string, e: unknown) => {
    const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
    if (current !== null) current.report(`${what}: ${text}`);
    else write(Deno.stderr, `init: ${what}: ${text}\n`);
  };
  globalThis.addEventListener("error", (ev) => {
    ev.preventDefault();
    report("Uncaught error", ev.error);
  });
  globalThis.addEventListener("unhandledrejection", (ev) => {
    ev.preventDefault();
    report("Unhandled rejection", ev.reason);
  });
}

/** Runs init; returns its exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  if (isContainerMode(argv)) {
    return await (await import("./modes/container.ts")).containerMain(argv);
  }
  let options;
  try {
    options = parseInitOptions(argv);
  } catch (e) {
    if (!(e instanceof InitUsageError)) throw e;
    write(Deno.stderr, `init: ${e.message}\n`);
    return 1;
  }
  if (options.help) {
    write(Deno.stdout, HELP);
    return 0;
  }
  if (options.version) {
    write(Deno.stdout, `init (upstart 1.13.2)\ndaybreak ${DAYBREAK_VERSION}\n`);
    return 0;
  }
  const self = { pid: Deno.pid, euid: effectiveIds().euid };
  // The kernel hands PID 1 words of its own command line; anyone else made a typo.
  if (options.unknown.length > 0 && self.pid !== 1) {
    write(
      Deno.stderr,
      `init: unrecognized option '${
        options.unknown[0]
      }'\nTry 'init --help' for more information.\n`,
    );
    return 1;
  }
  switch (chooseModeKind(options, self)) {
    case "need-root":
      write(Deno.stderr, "init: Need to be root\n");
      return 1;
    case "telinit":
      return execTelinit(argv);
    case "user":
    case "system":
      break;
  }
  // A re-exec hands its state over in an inherited fd (docs/reexec.md); taken before the mode
  // reads the environment, so that jobs never see the variable.
  let restore: ReexecState | null = null;
  try {
    restore = takeRestoreState();
  } catch (e) {
    write(Deno.stderr, `init: ${e instanceof Error ? e.message : e}; starting afresh\n`);
  }
  const ports = realPorts({ logTimestamps: options.logTimestamps ?? false });
  keepGoing();
  let env: Record<string, string> = Deno.env.toObject();
  let mode: Mode;
  if (!options.user && self.pid === 1) {
    neverExit = true;
    const boot = earlyBoot(ports.machine, env);
    env = boot.env;
    // Where runlevels are kept, once /run is mounted (docs/sysv.md#utmp).
    if (ports.machine.ownsMachine()) {
      try {
        createUtmpIfMissing();
      } catch (e) {
        write(
          Deno.stderr,
          `init: Unable to create /run/utmp: ${e instanceof Error ? e.message : e}\n`,
        );
      }
    }
    // daybreak's own etc/init: the launcher says where daybreak is (the sources or dist/).
    // (Not node:url's fileURLToPath: a node: import costs ~20 ms, docs/platform.md#start-up-costs.)
    const root = env.DAYBREAK_ROOT ?? decodeURIComponent(new URL("..", import.meta.url).pathname);
    const builtins = readBuiltinProviders(`${root}/etc/init`);
    for (const p of builtins.problems) write(Deno.stderr, `init: built-in job: ${p}\n`);
    mode = systemMode(options, env, ports.host, {
      consoleAttached: boot.consoleAttached,
      machine: ports.machine,
      builtinJobs: builtins.jobs,
    });
    for (const m of boot.messages) write(Deno.stderr, `init: ${m}\n`);
  } else {
    mode = chooseMode(options, env, ports);
  }
  const daemon = await Daemon.start(mode, ports, restore);
  current = daemon;
  return await daemon.exited;
}

/** PID 1 that cannot go on re-executes itself (after a pause, so that it never spins). */
async function restartInPlace(reason: string): Promise<never> {
  write(Deno.stderr, `init: ${reason}; re-executing in 5 seconds\n`);
  for (;;) {
    await new Promise((r) => setTimeout(r, 5000));
    try {
      realMachine.reexec([]);
    } catch (e) {
      write(Deno.stderr, `init: re-exec failed: ${e instanceof Error ? e.message : e}\n`);
    }
  }
}

/** The mode the options ask for. */
export function chooseMode(
  options: InitOptions,
  env: Readonly<Record<string, string>>,
  ports: Pick<DaemonPorts, "host">,
): Mode {
  return options.user ? userMode(options, env, ports.host) : systemMode(options, env, ports.host);
}

if (import.meta.main) {
  let status = 1;
  try {
    status = await main(Deno.args);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (neverExit) await restartInPlace(message);
    write(Deno.stderr, `init: ${message}\n`);
  }
  if (neverExit) await restartInPlace(`the daemon ended with status ${status}`);
  Deno.exit(status);
}
