/**
 * The real {@linkcode Machine}: the system calls of `sys/machine.ts`.
 *
 * @module
 */

import type { Machine, RebootCommand } from "./ports.ts";
import * as sys from "../sys/machine.ts";
import { umask } from "../sys/libc.ts";
import { inInitialPidNamespace, readCmdline, readMountInfo, stdioTargets } from "../sys/procfs.ts";

const REBOOT: Readonly<Record<RebootCommand, number>> = {
  restart: sys.RB.AUTOBOOT,
  halt: sys.RB.HALT_SYSTEM,
  "power-off": sys.RB.POWER_OFF,
  "cad-on": sys.RB.ENABLE_CAD,
  "cad-off": sys.RB.DISABLE_CAD,
};

/** The machine the daemon runs on. */
export const realMachine: Machine = {
  mount: (source, target, fstype, flags, data) => sys.mount(source, target, fstype, flags, data),
  unmount: (target, flags) => sys.umount2(target, flags),
  sync: () => sys.sync(),
  reboot: (command) => sys.reboot(REBOOT[command]),
  killAll: (signal) => sys.kill(-1, signal),
  attachConsole: (path) => sys.attachConsole(path),
  mounts: () => readMountInfo(),
  makeDirectory: (path, mode) => sys.mkdir(path, mode),
  setsid: () => sys.setsid(),
  chdir: (path) => sys.chdir(path),
  setUmask: (mask) => void umask(mask),
  stdio: () => stdioTargets(),
  openKernelLog: () => {
    try {
      return sys.openKernelLog();
    } catch {
      return null;
    }
  },
  ownsMachine: () => inInitialPidNamespace() === true,
  reexec: (extraArgs) => {
    const argv = readCmdline("self");
    if (argv === null || argv.length === 0) throw new Error("cannot read /proc/self/cmdline");
    sys.execv(Deno.execPath(), [...argv, ...extraArgs]);
  },
};
