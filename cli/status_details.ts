/**
 * The text of `initctl status --verbose` after the status line, like
 * `systemctl status`: start time and uptime, start duration, the events that
 * started the instance, respawns, the last exit, then the log's last lines.
 * Pure. See docs/seeing.md#status---verbose.
 *
 * @module
 */

import { signalName } from "../parser/signals.ts";

/** The `details` of a `job.details` result (see `protocol/methods.ts`). */
export interface InstanceDetails {
  readonly startedAt: number | null;
  readonly uptimeMs: number | null;
  readonly startDurationMs: number | null;
  readonly respawns: number;
  readonly lastExit: {
    readonly process: string;
    readonly pid: number;
    readonly code: number | null;
    readonly signal: number | null;
    readonly at: number;
  } | null;
  readonly startEvents: readonly string[];
  readonly logPath: string | null;
}

/**
 * A wall-clock time as `2026-12-03 07:38:46 UTC`.
 *
 * @param ms milliseconds since the epoch
 * @returns the text
 */
export function wallTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/**
 * A duration as `850ms`, `4.2s`, `3min 5s`, `2h 3min`, `1d 4h`.
 *
 * @param ms the duration
 * @returns the text
 */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}min ${Math.floor(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}min`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

function exitText(e: NonNullable<InstanceDetails["lastExit"]>): string {
  const how = e.signal !== null
    ? `was killed by ${
      signalName(e.signal) === null ? `signal ${e.signal}` : `SIG${signalName(e.signal)}`
    }`
    : `exited with status ${e.code}`;
  return `${e.process} process (${e.pid}) ${how} at ${wallTime(e.at)}`;
}

/**
 * The detail lines (each indented, ending in a newline).
 *
 * @param d the details
 * @param logLines the last lines of the log, or null when there is no log to show
 * @returns the text
 */
export function formatDetails(d: InstanceDetails, logLines: string | null): string {
  const rows: [string, string][] = [];
  if (d.startedAt !== null) {
    const up = d.uptimeMs === null ? "" : `; up ${duration(d.uptimeMs)}`;
    rows.push(["Started", `${wallTime(d.startedAt)}${up}`]);
  }
  if (d.startDurationMs !== null) rows.push(["Start took", duration(d.startDurationMs)]);
  rows.push(["Started by", d.startEvents.length === 0 ? "(by hand)" : d.startEvents.join(" ")]);
  rows.push(["Respawns", String(d.respawns)]);
  if (d.lastExit !== null) rows.push(["Last exit", exitText(d.lastExit)]);
  rows.push(["Log", d.logPath ?? "(none)"]);
  const width = Math.max(...rows.map(([k]) => k.length));
  let out = rows.map(([k, v]) => `  ${k.padStart(width)}: ${v}\n`).join("");
  if (logLines !== null && logLines !== "") {
    out += `\n${logLines.endsWith("\n") ? logLines : `${logLines}\n`}`;
  }
  return out;
}
