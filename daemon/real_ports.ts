/**
 * The real ports of a daemon process: one reaper shared by the spawner and the host, one poll
 * loop for every raw descriptor (the jobs' log pipes, the control socket and its connections).
 * Used by `main.ts` and by container mode's sidecars.
 *
 * @module
 */

import { AppArmorSecurity } from "../security/apparmor.ts";
import { DenoConfFileSystem } from "./conf/deno_conf_fs.ts";
import { DenoHost } from "./deno_host.ts";
import { denoSignals } from "./deno_signals.ts";
import type { DaemonPorts } from "./ports.ts";
import { realMachine } from "./real_machine.ts";
import { realCommandFifo } from "./rpc/command_fifo.ts";
import { FdSpawner } from "./supervisor/fd_spawner.ts";
import { PollLoop } from "./supervisor/poll_loop.ts";
import { Reaper } from "./supervisor/reaper.ts";
import { systemClock } from "./system_clock.ts";

/** The real ports: one reaper shared by the spawner and the host. */
export function realPorts(options: { readonly logTimestamps?: boolean } = {}): DaemonPorts {
  const reaper = new Reaper();
  const loop = new PollLoop();
  return {
    spawner: new FdSpawner({ reaper, loop, logTimestamps: options.logTimestamps ?? false }),
    pollLoop: loop,
    commandFifo: realCommandFifo(loop),
    clock: systemClock,
    security: new AppArmorSecurity(),
    signals: denoSignals,
    machine: realMachine,
    host: new DenoHost(reaper),
    confFs: new DenoConfFileSystem(),
  };
}
