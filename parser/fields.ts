/**
 * The JSON view of a job class: only what differs from the defaults of spec
 * docs/job-files.md#defaults, keyed by stanza name with `_` for spaces and hyphens. This is the
 * `fields` object of `init-checkconf --json` (and of `initctl show-config --json`).
 *
 * @module
 */

import { renderEventExpr } from "./render.ts";
import { signalName } from "./signals.ts";
import { type JobClassSpec, PROCESS_SLOTS } from "./types.ts";

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const DEFAULT_UMASK = 0o022;
const DEFAULT_RESPAWN_COUNT = 10;
const DEFAULT_RESPAWN_INTERVAL = 5;
const SIGTERM = 15;
const SIGHUP = 1;
const DEFAULT_KILL_TIMEOUT = 5;

/**
 * Renders the fields of a job class that differ from the defaults.
 *
 * @param spec A parsed job class.
 * @returns A plain JSON object, keys in stanza order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJobConfig } from "./parse_job.ts";
 * import { jobClassFields } from "./fields.ts";
 * const spec = parseJobConfig("task\nkill signal INT\n", { name: "x" });
 * assert.deepEqual(jobClassFields(spec), { task: true, kill_signal: "INT" });
 * ```
 */
export function jobClassFields(spec: JobClassSpec): { [key: string]: Json } {
  const f: { [key: string]: Json } = {};
  if (spec.description !== null) f.description = spec.description;
  if (spec.author !== null) f.author = spec.author;
  if (spec.version !== null) f.version = spec.version;
  if (spec.usage !== null) f.usage = spec.usage;
  if (spec.instance !== "") f.instance = spec.instance;
  if (spec.task) f.task = true;
  if (spec.manual) f.manual = true;
  if (spec.respawn) f.respawn = true;
  if (spec.respawnLimit.count !== DEFAULT_RESPAWN_COUNT) f.respawn_limit = spec.respawnLimit.count;
  if (spec.respawnLimit.interval !== DEFAULT_RESPAWN_INTERVAL) {
    f.respawn_interval = spec.respawnLimit.interval;
  }
  if (spec.normalExit.length > 0) {
    f.normal_exit = spec.normalExit.map((v) => v.kind === "status" ? v.value : v.name);
  }
  if (spec.expect !== "none") f.expect = spec.expect;
  if (spec.console !== null && spec.console !== "log") f.console = spec.console;
  if (spec.killSignal !== SIGTERM) f.kill_signal = signalJson(spec.killSignal);
  if (spec.killTimeout !== DEFAULT_KILL_TIMEOUT) f.kill_timeout = spec.killTimeout;
  if (spec.reloadSignal !== SIGHUP) f.reload_signal = signalJson(spec.reloadSignal);
  if (spec.umask !== null && spec.umask !== DEFAULT_UMASK) {
    f.umask = spec.umask.toString(8).padStart(4, "0");
  }
  if (spec.nice !== null) f.nice = spec.nice;
  if (spec.oomScoreAdj !== null && spec.oomScoreAdj !== 0) f.oom_score_adj = spec.oomScoreAdj;
  const limits = Object.entries(spec.limits);
  if (limits.length > 0) {
    const out: { [key: string]: Json } = {};
    for (const [resource, pair] of limits) {
      if (pair !== undefined) out[resource] = [pair[0], pair[1]];
    }
    f.limits = out;
  }
  for (const key of ["chroot", "chdir", "setuid", "setgid"] as const) {
    const value = spec[key];
    if (value !== null) f[key] = value;
  }
  if (spec.apparmorLoad !== null) f.apparmor_load = spec.apparmorLoad;
  if (spec.apparmorSwitch !== null) f.apparmor_switch = spec.apparmorSwitch;
  if (spec.env.length > 0) f.env = [...spec.env];
  if (spec.export.length > 0) f.export = [...spec.export];
  if (spec.emits.length > 0) f.emits = [...spec.emits];
  if (spec.startOn !== null) f.start_on = renderEventExpr(spec.startOn);
  if (spec.stopOn !== null) f.stop_on = renderEventExpr(spec.stopOn);
  const processes: { [key: string]: Json } = {};
  for (const slot of PROCESS_SLOTS) {
    const p = spec.processes[slot];
    if (p !== undefined) processes[slot] = { script: p.script, command: p.command };
  }
  if (Object.keys(processes).length > 0) f.processes = processes;
  if (spec.cgroups.length > 0) {
    f.cgroups = spec.cgroups.map((c) => ({
      controller: c.controller,
      name: c.name,
      settings: c.settings.map(([k, v]) => [k, v]),
    }));
  }
  extensionFields(spec, f);
  return f;
}

/** daybreak's extension stanzas, after Upstart's. */
function extensionFields(spec: JobClassSpec, f: { [key: string]: Json }): void {
  if (spec.noNewPrivileges) f.no_new_privileges = true;
  if (spec.capabilities !== null) f.capabilities = [...spec.capabilities];
  if (spec.privateTmp) f.private_tmp = true;
  if (spec.protectSystem) f.protect_system = true;
  if (spec.readWritePaths.length > 0) f.read_write_paths = [...spec.readWritePaths];
  if (spec.readOnlyPaths.length > 0) f.read_only_paths = [...spec.readOnlyPaths];
  if (spec.privateNetwork) f.private_network = true;
  if (spec.hostname !== null) f.hostname = spec.hostname;
  if (spec.seccomp !== undefined) {
    f.seccomp = {
      default: spec.seccomp.default,
      deny: [...spec.seccomp.deny],
      allow: [...spec.seccomp.allow],
    };
  }
  if (spec.delegates.length > 0) {
    f.delegates = spec.delegates.map((d) => ({
      actions: [...d.actions],
      users: [...d.users],
      groups: [...d.groups],
      ...(d.env === undefined ? {} : { env: [...d.env] }),
    }));
  }
}

function signalJson(signal: number): Json {
  return signalName(signal) ?? signal;
}
