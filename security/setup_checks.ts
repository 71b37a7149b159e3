/**
 * Failures of the process-setup steps, known before the spawn.
 *
 * Upstart applies `limit`, `nice`, `setgid` and `setuid` in the forked child and reports a
 * failing step over a pipe, so the job fails with `Failed to spawn JOB PROCESS process: unable
 * to set "nofile" resource limit: Operation not permitted` (see docs/job-files.md#process-setup).
 * daybreak's chain of tools cannot report back before exec (a failing `prlimit` would only make the
 * process exit 1, and `nice(1)` carries on regardless). But the child starts with exactly the
 * daemon's limits, nice value and capabilities, and the kernel's rules for these calls are simple,
 * so the same failures are predicted here, from the same inputs, and reported with Upstart's texts.
 *
 * Pure: the daemon's state is passed in.
 *
 * @module
 */

import type { SandboxSpec } from "../parser/extension_stanzas.ts";
import type { JobClassSpec, LimitValue } from "../parser/types.ts";
import type { Credentials } from "./credentials.ts";

/** Capability numbers the checks need (`linux/capability.h`). */
export const CAP_SETGID = 6;
export const CAP_SETUID = 7;
export const CAP_SETPCAP = 8;
export const CAP_SYS_NICE = 23;
export const CAP_SYS_RESOURCE = 24;

/** What the daemon's child starts with. */
export interface DaemonPowers {
  /** Effective capabilities (`CapEff:` of `/proc/self/status`). */
  readonly capabilities: bigint;
  readonly euid: number;
  readonly egid: number;
  readonly nice: number;
  /** `/proc/sys/fs/nr_open`: the ceiling of `nofile`, even with CAP_SYS_RESOURCE. */
  readonly nrOpen: number;
  /** The daemon's current `[soft, hard]` limit of a resource. */
  readonly limit: (resource: string) => readonly [LimitValue, LimitValue];
}

/** What the checks look at. */
export interface SetupRequest {
  readonly limits: JobClassSpec["limits"];
  readonly nice: number | null;
  readonly credentials: Credentials;
  readonly sandbox?: SandboxSpec;
}

/** Resources in `RLIMIT_*` order, the order in which Upstart sets them. */
const RESOURCE_ORDER = [
  "cpu",
  "fsize",
  "data",
  "stack",
  "core",
  "rss",
  "nproc",
  "nofile",
  "memlock",
  "as",
  "sigpending",
  "msgqueue",
  "nice",
  "rtprio",
] as const;

const EPERM = "Operation not permitted";
const EINVAL = "Invalid argument";
const EACCES = "Permission denied";

function value(v: LimitValue): number {
  return v === "unlimited" ? Infinity : v;
}

function has(powers: DaemonPowers, cap: number): boolean {
  return (powers.capabilities >> BigInt(cap) & 1n) === 1n;
}

/** `setrlimit(2)`'s checks (kernel `do_prlimit`), in Upstart's order. */
function limitFailure(req: SetupRequest, powers: DaemonPowers): string | null {
  for (const resource of RESOURCE_ORDER) {
    const pair = req.limits[resource];
    if (pair === undefined) continue;
    const [soft, hard] = [value(pair[0]), value(pair[1])];
    let error: string | null = null;
    if (soft > hard) error = EINVAL;
    else if (resource === "nofile" && hard > powers.nrOpen) error = EPERM;
    else if (hard > value(powers.limit(resource)[1]) && !has(powers, CAP_SYS_RESOURCE)) {
      error = EPERM;
    }
    if (error !== null) return `unable to set "${resource}" resource limit: ${error}`;
  }
  return null;
}

/** `setpriority(2)`: a lower nice value needs CAP_SYS_NICE or room under RLIMIT_NICE. */
function priorityFailure(req: SetupRequest, powers: DaemonPowers): string | null {
  if (req.nice === null || req.nice >= powers.nice || has(powers, CAP_SYS_NICE)) return null;
  // The job's own `limit nice` is set first, as in Upstart.
  const soft = value((req.limits.nice ?? powers.limit("nice"))[0]);
  return 20 - req.nice <= soft ? null : `unable to set priority: ${EACCES}`;
}

/** `setresgid`/`setresuid` to another id need CAP_SETGID/CAP_SETUID. */
function credentialFailure(req: SetupRequest, powers: DaemonPowers): string | null {
  const c = req.credentials;
  if (c.gid !== null && c.gid !== powers.egid && !has(powers, CAP_SETGID)) {
    return `unable to setgid: ${EPERM}`;
  }
  if (c.uid !== null && c.uid !== powers.euid && !has(powers, CAP_SETUID)) {
    return `unable to setuid: ${EPERM}`;
  }
  return null;
}

/**
 * The reason the process setup would fail, in Upstart's order and words, or `null`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { setupFailure } from "./setup_checks.ts";
 * const powers = {
 *   capabilities: 0n, euid: 1000, egid: 1000, nice: 0, nrOpen: 1048576,
 *   limit: () => [1024, 4096] as const,
 * };
 * const request = {
 *   limits: { nofile: [8192, 8192] as const },
 *   nice: null,
 *   credentials: { uid: null, gid: null, groups: null },
 * };
 * assert.equal(
 *   setupFailure(request, powers),
 *   'unable to set "nofile" resource limit: Operation not permitted',
 * );
 * ```
 */
export function setupFailure(req: SetupRequest, powers: DaemonPowers): string | null {
  const failure = limitFailure(req, powers) ?? priorityFailure(req, powers) ??
    credentialFailure(req, powers);
  if (failure !== null) return failure;
  const bounding = req.sandbox?.capabilities ?? null;
  if (bounding !== null && !has(powers, CAP_SETPCAP)) {
    return `unable to sandbox: cannot change the capability bounding set: ${EPERM}`;
  }
  return null;
}

/**
 * Reads a capability mask line (`CapEff:\t000001fffeffffff`) out of `/proc/PID/status` text.
 *
 * @returns The mask, or 0 when the line is missing.
 */
export function capabilityMask(status: string, field = "CapEff"): bigint {
  const m = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, "m").exec(status);
  return m === null ? 0n : BigInt(`0x${m[1]}`);
}
