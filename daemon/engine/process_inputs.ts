/**
 * How an instance reacts to its processes and timers (Upstart's `job_process_terminated()`,
 * `job_process_stopped()`, the ptrace fork tracking and the kill timer), built on the primitives
 * of `job_machine.ts`. Pure: everything goes through the `MachineOps` of one step.
 *
 * @module
 */

import type { ProcessName } from "../../parser/types.ts";
import { exitInteger, exitLogLine, isNormalExit, judgeRespawn } from "./exit_rules.ts";
import type { MachineOps } from "./job_machine.ts";
import {
  EXIT_FAILS_JOB,
  HOOK_STATE,
  INTERRUPTIBLE_HOOKS,
  SPAWN_FAILURE_FAILS_JOB,
  TIMED_HOOKS,
} from "./transitions.ts";
import type { ExitStatus, JobState } from "./types.ts";

const SIGKILL = 9;

/** What a process ending means: fail the job, set goal stop, move to the next state. */
interface Verdict {
  failed: boolean;
  stop: boolean;
  state: boolean;
}

/**
 * A spawn succeeded: record the pid; `expect none` main processes leave `spawned` at once.
 *
 * @param m the step
 * @param process which process
 * @param pid its pid
 */
export function onSpawned(m: MachineOps, process: ProcessName, pid: number): void {
  const d = m.draft;
  if (d.pids[process] !== 0) return; // stale: not waiting for this spawn
  d.pids[process] = pid;
  m.log("info", `${m.display} ${process} process (${pid})`);
  const opts = m.ctx.options;
  if (opts.hookTimeoutMs > 0 && TIMED_HOOKS.includes(process)) {
    m.armTimer("hook", process, opts.hookTimeoutMs);
  }
  const inHookState = HOOK_STATE[process] === d.state;
  if (opts.stopInterruptsHooks && d.goal === "stop" && inHookState) {
    if (INTERRUPTIBLE_HOOKS.includes(process)) m.interrupt(process);
  }
  if (process === "main" && d.state === "spawned" && d.cls.expect === "none") {
    m.advance();
  }
}

/**
 * A spawn failed (see docs/behaviour.md#exits): main, pre-start and post-stop failures fail the
 * job.
 *
 * @param m the step
 * @param process which process
 * @param reason Upstart's reason text
 */
export function onSpawnFailed(m: MachineOps, process: ProcessName, reason: string): void {
  const d = m.draft;
  if (d.pids[process] !== 0) return;
  delete d.pids[process];
  m.log("warn", `Failed to spawn ${m.display} ${process} process: ${reason}`);
  if (SPAWN_FAILURE_FAILS_JOB[process]) {
    m.fail(process, null);
    m.changeGoal("stop");
  }
  if (runsIn(process) === d.state) m.advance();
}

function runsIn(process: ProcessName): JobState | undefined {
  return process === "main" ? "spawned" : HOOK_STATE[process];
}

/**
 * The AppArmor profile load finished; a failure fails the job with `PROCESS=security`.
 *
 * @param m the step
 * @param ok whether it loaded
 * @param message why not
 */
export function onSecurityLoaded(m: MachineOps, ok: boolean, message: string): void {
  const d = m.draft;
  if (d.state !== "security" || !d.securityPending) return;
  d.securityPending = false;
  if (!ok) {
    m.log("warn", `Failed to spawn ${m.display} security process: ${message}`);
    m.fail("security", null);
    m.changeGoal("stop");
  }
  m.advance();
}

/**
 * `expect stop`/`fork`/`daemon` settled (see docs/behaviour.md#expect): the instance leaves
 * `spawned`.
 *
 * @param m the step
 * @param newPid for `fork`/`daemon`, the pid to supervise from now on; null for `stop`
 */
export function onSettled(m: MachineOps, newPid: number | null): void {
  const d = m.draft;
  const pid = d.pids.main ?? 0;
  if (d.state !== "spawned" || pid <= 0) return;
  const forking = d.cls.expect === "fork" || d.cls.expect === "daemon";
  if (newPid === null ? d.cls.expect !== "stop" : !forking) return;
  if (newPid !== null && newPid !== pid) {
    m.log("info", `${m.display} main process (${pid}) became new process (${newPid})`);
    d.pids.main = newPid;
  }
  m.advance();
}

/**
 * A process ended: Upstart's `job_process_terminated()` (see docs/behaviour.md#runtime).
 *
 * @param m the step
 * @param process which process
 * @param status how it ended
 * @param now monotonic ms, for the respawn limit
 */
export function onExited(
  m: MachineOps,
  process: ProcessName,
  status: ExitStatus,
  now: number,
): void {
  const d = m.draft;
  const pid = d.pids[process] ?? 0;
  if (pid <= 0) return;
  const line = exitLogLine(m.display, process, pid, status, d.cls);
  m.log(line.level, line.message);

  const interrupted = d.interrupted.includes(process);
  if (interrupted) d.interrupted = d.interrupted.filter((p) => p !== process);
  let verdict: Verdict = { failed: false, stop: false, state: true };
  if (process === "main") {
    verdict = mainEnded(m, status, now);
  } else if (runsIn(process) !== d.state) {
    verdict.state = false; // cannot happen: hooks finish in their own state
  } else if (EXIT_FAILS_JOB[process] && exitInteger(status) !== 0 && !interrupted) {
    verdict = { failed: true, stop: true, state: true };
  }

  for (const timer of d.timers) {
    if (timer.process === process) m.cancelTimer(timer.kind, process);
  }
  delete d.pids[process];
  if (verdict.failed) m.fail(process, status);
  if (verdict.stop) {
    // Changing the goal of a running instance moves it already.
    if (d.state === "running") verdict.state = false;
    m.changeGoal("stop");
  }
  if (verdict.state) m.advance();
}

/** The main process ended (the `PROCESS_MAIN` case of `job_process_terminated()`). */
function mainEnded(m: MachineOps, status: ExitStatus, now: number): Verdict {
  const d = m.draft;
  // With a post-start or pre-stop process still running we wait for it instead.
  const hookBusy = (d.state === "post-start" && d.pids["post-start"] !== undefined) ||
    (d.state === "pre-stop" && d.pids["pre-stop"] !== undefined);
  const state = !hookBusy;
  // Dying when we killed it is normal; dying while `stopping` waits for that event.
  if (d.state === "killed") return { failed: false, stop: false, state };
  if (d.state === "stopping") return { failed: false, stop: false, state: false };
  if (!["spawned", "post-start", "running", "pre-stop"].includes(d.state)) {
    return { failed: false, stop: false, state: false };
  }

  let failed = false;
  const zero = exitInteger(status) === 0;
  if ((!zero || (d.cls.respawn && !d.cls.task)) && d.goal === "start") {
    failed = !isNormalExit(d.cls, status);
    if (failed && d.cls.respawn && !m.ctx.respawnDisabled) {
      const opts = m.ctx.options;
      const verdict = judgeRespawn(d.cls, d.respawn, now, opts.respawnBackoff);
      d.respawn = verdict.window;
      if (!verdict.respawn) {
        m.log("warn", `${m.display} respawning too fast, stopped`);
        m.fail("respawn", null);
        return { failed: false, stop: true, state };
      }
      if (verdict.window.delayMs > 0) {
        const ms = verdict.window.delayMs;
        m.log("warn", `${m.display} respawning too fast, next respawn in ${ms} ms`);
        m.armTimer("respawn", null, ms);
      }
      m.log("warn", `${m.display} main process ended, respawning`);
      // Remember to respawn once the hook ends; `spawned` never reaches a hook state.
      if (!state || d.state === "spawned") m.changeGoal("respawn");
      return { failed: false, stop: false, state };
    }
  }
  return { failed, stop: true, state };
}

/**
 * A timer fired: SIGKILL after `kill timeout`, a hook time limit, or the end of a respawn delay.
 *
 * @param m the step
 * @param id the timer id
 */
export function onTimer(m: MachineOps, id: string): void {
  const d = m.draft;
  const timer = d.timers.find((t) => t.id === id);
  if (timer === undefined) return;
  d.timers = d.timers.filter((t) => t.id !== id);
  const pid = timer.process === null ? 0 : d.pids[timer.process] ?? 0;
  switch (timer.kind) {
    case "kill":
      if (timer.process !== null && pid > 0) m.signal(timer.process, SIGKILL);
      return;
    case "hook":
      if (timer.process === null || pid <= 0) return;
      m.log(
        "warn",
        `${m.display} ${timer.process} process (${pid}) timed out, killing it`,
      );
      m.signal(timer.process, d.cls.killSignal);
      m.armTimer("kill", timer.process, d.cls.killTimeout * 1000);
      return;
    case "respawn":
      if (d.state === "post-stop" && d.goal !== "stop" && d.pids["post-stop"] === undefined) {
        m.advance();
      }
      return;
  }
}
