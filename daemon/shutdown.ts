/**
 * The final phase of a machine's shutdown, as PID 1 runs it (see docs/pid1.md#shutdown).
 *
 * A shutdown starts as Upstart's does: `shutdown`, `halt`, `poweroff` or `reboot` emit
 * `runlevel RUNLEVEL=0|6` (with `INIT_HALT=POWEROFF|HALT`), jobs stop by their `stop on`, and
 * the `rc` task runs the runlevel's scripts, which normally end the machine themselves
 * (`halt -f`). When they have not, daybreak's final phase does, in this order:
 *
 * 1. every job stopped within its kill timeout;
 * 2. SIGTERM to every process left (kill(-1)), a grace period that ends early when nothing is
 *    left, then SIGKILL and a second's wait for the killed to be reaped;
 * 3. sync; file systems unmounted, or remounted read-only where they cannot be, innermost first
 *    (only as the machine's own init: a PID namespace shares them with its host); sync;
 * 4. reboot(2) with RB_POWER_OFF, RB_HALT_SYSTEM or RB_AUTOBOOT. Inside a PID namespace this
 *    ends the namespace instead. Should the kernel refuse, PID 1 logs it and goes on serving.
 *
 * The final phase starts when the runlevel 0/6 `rc` task has stopped with the machine still up,
 * when a runlevel 0/6 arrives and no `rc` job exists, or when a tool asks for it
 * (`daemon.shutdown`). {@linkcode ShutdownTrigger} decides the first two from the events.
 *
 * @module
 */

import type { LogPriority } from "./options.ts";
import type { Clock, Machine, MountPoint, RebootCommand } from "./ports.ts";
import type { PowerAction } from "../protocol/methods.ts";
import { MS } from "../sys/machine.ts";

export type { PowerAction };

/** One step of the final phase. */
export type FinalStep =
  | { readonly step: "stop-jobs" }
  | { readonly step: "kill-all"; readonly signal: "SIGTERM" | "SIGKILL" }
  | { readonly step: "grace"; readonly ms: number }
  | { readonly step: "sync" }
  | { readonly step: "read-only" }
  | { readonly step: "reboot"; readonly command: RebootCommand };

/** How long processes get between SIGTERM and SIGKILL (sysvinit's sendsigs waits as long). */
export const DEFAULT_GRACE_MS = 5000;
/** How long the killed get to be gone. */
const KILL_WAIT_MS = 1000;

const COMMANDS: Readonly<Record<PowerAction, RebootCommand>> = {
  poweroff: "power-off",
  halt: "halt",
  reboot: "restart",
};

/** The final phase for `action`, as data. */
export function finalSequence(action: PowerAction, graceMs = DEFAULT_GRACE_MS): FinalStep[] {
  return [
    { step: "stop-jobs" },
    { step: "kill-all", signal: "SIGTERM" },
    { step: "grace", ms: graceMs },
    { step: "kill-all", signal: "SIGKILL" },
    // SIGKILL is not instant: the dead are reaped before their files' file systems are unmounted.
    { step: "grace", ms: KILL_WAIT_MS },
    { step: "sync" },
    { step: "read-only" },
    { step: "sync" },
    { step: "reboot", command: COMMANDS[action] },
  ];
}

/** File systems of the kernel's own (nothing to flush; unmounting them only hurts). */
const API_FILESYSTEMS: ReadonlySet<string> = new Set([
  "proc",
  "sysfs",
  "devtmpfs",
  "devpts",
  "cgroup",
  "cgroup2",
  "securityfs",
  "debugfs",
  "tracefs",
  "pstore",
  "bpf",
  "mqueue",
  "hugetlbfs",
  "configfs",
  "fusectl",
  "autofs",
  "binfmt_misc",
  "efivarfs",
  "rpc_pipefs",
  "nsfs",
]);

/** What to do with one mount at the end. */
export interface ReadOnlyAction {
  readonly target: string;
  /** `unmount` first, remounting read-only when that fails; the root is only remounted. */
  readonly how: "unmount" | "remount";
}

/** The mounts to unmount or make read-only, innermost (last mounted) first. */
export function readOnlyPlan(mounts: readonly MountPoint[]): ReadOnlyAction[] {
  return [...mounts].reverse()
    .filter((m) => !API_FILESYSTEMS.has(m.fsType))
    .map((m) => ({ target: m.mountPoint, how: m.mountPoint === "/" ? "remount" : "unmount" }));
}

const SIGNALS = { SIGTERM: 15, SIGKILL: 9 } as const;

/** What the final phase acts through. */
export interface FinalPorts {
  readonly machine: Machine;
  readonly clock: Clock;
  /** Stops every job within its kill timeout; resolves when they stopped or the time is up. */
  stopJobs(): Promise<void>;
  /** Processes still alive besides the daemon (reaping those that ended). */
  remaining(): number;
  log(priority: LogPriority, message: string): void;
}

/** How often the grace period looks whether anything is left. */
const POLL_MS = 100;

/**
 * Runs the steps in order; a failing step is logged and the next one runs. Returns when the
 * kernel refused the last step (a reboot(2) that worked never returns).
 */
export async function runFinalSequence(
  steps: readonly FinalStep[],
  ports: FinalPorts,
): Promise<void> {
  const { machine, log } = ports;
  const sleep = (ms: number) => new Promise<void>((r) => ports.clock.setTimer(ms, r));
  for (const s of steps) {
    try {
      switch (s.step) {
        case "stop-jobs":
          await ports.stopJobs();
          break;
        case "kill-all":
          log("info", `Sending ${s.signal} to every process`);
          machine.killAll(SIGNALS[s.signal]);
          break;
        case "grace":
          for (let waited = 0; waited < s.ms && ports.remaining() > 0; waited += POLL_MS) {
            await sleep(POLL_MS);
          }
          break;
        case "sync":
          machine.sync();
          break;
        case "read-only":
          readOnly(ports);
          break;
        case "reboot":
          log("message", `Will now ${VERBS[s.command]}`);
          machine.reboot(s.command);
          log("error", `reboot(2) returned: the machine is still up`);
          break;
      }
    } catch (e) {
      log("error", `Shutdown step ${s.step} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

const VERBS: Readonly<Record<RebootCommand, string>> = {
  "power-off": "power off",
  halt: "halt",
  restart: "restart",
  "cad-on": "enable Ctrl-Alt-Del",
  "cad-off": "disable Ctrl-Alt-Del",
};

function readOnly(ports: FinalPorts): void {
  const { machine, log } = ports;
  if (!machine.ownsMachine()) {
    log("info", "Not the machine's own init: file systems are left to the host");
    return;
  }
  for (const { target, how } of readOnlyPlan(machine.mounts())) {
    if (how === "unmount") {
      try {
        machine.unmount(target, 0);
        continue;
      } catch { /* busy: remount read-only instead */ }
    }
    try {
      machine.mount("", target, "", MS.REMOUNT | MS.RDONLY, null);
    } catch (e) {
      log("warn", `Cannot remount ${target} read-only: ${e instanceof Error ? e.message : e}`);
    }
  }
}

/** The value of `KEY` in a `KEY=VALUE` list. */
function envValue(env: readonly string[], key: string): string | undefined {
  const entry = env.find((e) => e.startsWith(`${key}=`));
  return entry?.slice(key.length + 1);
}

/**
 * Decides, from the events the daemon emits, when the final phase is due.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ShutdownTrigger } from "./shutdown.ts";
 * const t = new ShutdownTrigger();
 * assert.equal(t.event("runlevel", ["RUNLEVEL=0", "PREVLEVEL=2", "INIT_HALT=HALT"], true), null);
 * assert.equal(t.event("stopped", ["JOB=rc", "INSTANCE=", "RUNLEVEL=0"], true), "halt");
 * ```
 */
export class ShutdownTrigger {
  #pending: PowerAction | null = null;

  /** The action a runlevel 0/6 asked for, while it is the last runlevel. */
  get pending(): PowerAction | null {
    return this.#pending;
  }

  /**
   * Feeds one emitted event.
   *
   * @param hasRc whether an `rc` job exists to run the runlevel's scripts
   * @returns the action when the final phase is due now
   */
  event(name: string, env: readonly string[], hasRc: boolean): PowerAction | null {
    if (name === "runlevel") {
      const level = envValue(env, "RUNLEVEL");
      this.#pending = level === "0"
        ? (envValue(env, "INIT_HALT") === "HALT" ? "halt" : "poweroff")
        : level === "6"
        ? "reboot"
        : null;
      return hasRc ? null : this.#pending;
    }
    if (name === "stopped" && envValue(env, "JOB") === "rc" && this.#pending !== null) {
      const level = envValue(env, "RUNLEVEL");
      if (level === "0" || level === "6") return this.#pending;
    }
    return null;
  }
}
