/**
 * `init`: argv → options → a {@linkcode Mode} and the real {@linkcode DaemonPorts} →
 * {@linkcode Daemon}; the daemon's sole exit point. The mode is decided here, once.
 *
 * @module
 */

import { AppArmorSecurity } from "../security/apparmor.ts";
import { DenoConfFileSystem } from "./conf/deno_conf_fs.ts";
import { Daemon, DAYBREAK_VERSION } from "./daemon.ts";
import { DenoHost } from "./deno_host.ts";
import { denoSignals } from "./deno_signals.ts";
import type { Mode } from "./modes/mode.ts";
import { systemMode } from "./modes/system.ts";
import { userMode } from "./modes/user.ts";
import { type InitOptions, InitUsageError, parseInitOptions } from "./options.ts";
import type { DaemonPorts } from "./ports.ts";
import { realMachine } from "./real_machine.ts";
import { FdSpawner } from "./supervisor/fd_spawner.ts";
import { Reaper } from "./supervisor/reaper.ts";
import { systemClock } from "./system_clock.ts";

const HELP = `Usage: init [OPTION]...
Process management daemon (daybreak, compatible with Upstart 1.13).

Options:
      --user                  start in user-session mode
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

/** Runs init; returns its exit status. */
export async function main(argv: readonly string[]): Promise<number> {
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
  const ports = realPorts();
  if (!options.user && ports.host.euid !== 0) {
    write(Deno.stderr, "init: Need to be root\n");
    return 1;
  }
  const daemon = await Daemon.start(chooseMode(options, Deno.env.toObject(), ports), ports);
  return await daemon.exited;
}

/** The mode the options ask for. */
export function chooseMode(
  options: InitOptions,
  env: Readonly<Record<string, string>>,
  ports: Pick<DaemonPorts, "host">,
): Mode {
  return options.user ? userMode(options, env, ports.host) : systemMode(options, env, ports.host);
}

/** The real ports: one reaper shared by the spawner and the host. */
function realPorts(): DaemonPorts {
  const reaper = new Reaper();
  return {
    spawner: new FdSpawner({ reaper }),
    clock: systemClock,
    security: new AppArmorSecurity(),
    signals: denoSignals,
    machine: realMachine,
    host: new DenoHost(reaper),
    confFs: new DenoConfFileSystem(),
  };
}

if (import.meta.main) {
  let status = 1;
  try {
    status = await main(Deno.args);
  } catch (e) {
    write(Deno.stderr, `init: ${e instanceof Error ? e.message : String(e)}\n`);
  }
  Deno.exit(status);
}
