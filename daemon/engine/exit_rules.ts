/**
 * Pure rules for process endings (see docs/behaviour.md#exits, docs/behaviour.md#respawn): `normal
 * exit` matching, the daemon log line, and the respawn rate limit with daybreak's optional back-off
 * (see docs/behaviour.md#fix-respawn).
 *
 * @module
 */

import type { JobClassSpec, ProcessName } from "../../parser/types.ts";
import { signalName } from "../../parser/signals.ts";
import type { ExitStatus, LogLevel, RespawnWindow } from "./types.ts";

/**
 * Upstart's integer form of an exit: the status, or the signal number shifted left by 8.
 *
 * @param status how the process ended
 * @returns the integer Upstart compares with `normal exit`
 */
export function exitInteger(status: ExitStatus): number {
  return "code" in status ? status.code : status.signal << 8;
}

/**
 * Whether an exit is listed in `normal exit`. Statuses above 255 that are multiples of 256 alias
 * signals (`normal exit 256` = HUP); other large numbers never match (see
 * docs/job-files.md#behaviour-stanzas).
 *
 * @param cls the job class
 * @param status how the process ended
 * @returns true when listed
 */
export function isNormalExit(cls: JobClassSpec, status: ExitStatus): boolean {
  const value = exitInteger(status);
  return cls.normalExit.some((n) => (n.kind === "status" ? n.value : n.signal << 8) === value);
}

/**
 * The daemon log line for a process ending (see docs/behaviour.md#exits,
 * docs/behaviour.md#daemon-log) and its priority: warning unless the status is listed in `normal
 * exit`; a zero exit is an info line.
 *
 * @param display the instance's display name
 * @param process which process ended
 * @param pid its pid
 * @param status how it ended
 * @param cls the job class (for `normal exit`)
 * @returns level and message
 */
export function exitLogLine(
  display: string,
  process: ProcessName,
  pid: number,
  status: ExitStatus,
  cls: JobClassSpec,
): { level: LogLevel; message: string } {
  const level: LogLevel = isNormalExit(cls, status) ? "info" : "warn";
  const who = `${display} ${process} process (${pid})`;
  if ("code" in status) {
    if (status.code === 0) return { level: "info", message: `${who} exited normally` };
    return { level, message: `${who} terminated with status ${status.code}` };
  }
  const name = signalName(status.signal);
  if (name === null) return { level: "warn", message: `${who} killed by signal ${status.signal}` };
  return { level, message: `${who} killed by ${name} signal` };
}

/**
 * Back-off settings (see docs/behaviour.md#fix-respawn): delays grow as `baseMs * 2^n` up to
 * `maxMs`.
 */
export interface RespawnBackoff {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** The verdict on one abnormal main exit that would respawn. */
export interface RespawnVerdict {
  /** Respawn (possibly after `window.delayMs`) or give up. */
  readonly respawn: boolean;
  readonly window: RespawnWindow;
}

/** A window with nothing recorded. */
export const EMPTY_WINDOW: RespawnWindow = {
  since: null,
  count: 0,
  backoffLevel: 0,
  lastExitAt: null,
  delayMs: 0,
};

/**
 * Upstart's `job_process_catch_runaway()` (see docs/behaviour.md#respawn): when both COUNT and
 * INTERVAL are non-zero, exits less than INTERVAL whole seconds after the window started count
 * towards COUNT, and the (COUNT+1)-th gives up. With `backoff`, giving up becomes a delayed respawn
 * whose delay doubles each time; the job counts as healthy again once it ran for INTERVAL seconds.
 *
 * @param cls the job class (`respawn limit`)
 * @param window the instance's window
 * @param nowMs monotonic ms of the exit
 * @param backoff back-off settings, or null for Upstart's give-up
 * @returns whether to respawn, and the new window
 */
export function judgeRespawn(
  cls: JobClassSpec,
  window: RespawnWindow,
  nowMs: number,
  backoff: RespawnBackoff | null,
): RespawnVerdict {
  const { count: limit, interval } = cls.respawnLimit;
  const now = Math.floor(nowMs / 1000);
  if (limit === 0 || interval === 0) return { respawn: true, window: { ...window, delayMs: 0 } };

  if (backoff !== null && window.backoffLevel > 0 && window.lastExitAt !== null) {
    const ranFor = now - window.lastExitAt - Math.floor(window.delayMs / 1000);
    if (ranFor < interval) return { respawn: true, window: backoffStep(window, now, backoff) };
    return { respawn: true, window: { ...EMPTY_WINDOW, since: now, count: 1 } };
  }

  if (window.since !== null && now - window.since < interval) {
    const count = window.count + 1;
    if (count <= limit) return { respawn: true, window: { ...window, count, delayMs: 0 } };
    if (backoff === null) return { respawn: false, window: { ...window, count } };
    return { respawn: true, window: backoffStep({ ...window, count }, now, backoff) };
  }
  return { respawn: true, window: { ...EMPTY_WINDOW, since: now, count: 1 } };
}

function backoffStep(window: RespawnWindow, now: number, backoff: RespawnBackoff): RespawnWindow {
  const delayMs = Math.min(backoff.maxMs, backoff.baseMs * 2 ** window.backoffLevel);
  return { ...window, backoffLevel: window.backoffLevel + 1, lastExitAt: now, delayMs };
}
