/**
 * `setuid` and `setgid` resolved to the ids and supplementary groups a job process runs with
 * (see docs/job-files.md#process-setup), from the account files of the process's root.
 *
 * Pure: account files are passed in as text.
 *
 * @module
 */

import { parseGroup, parsePasswd, type PasswdEntry } from "../sys/accounts.ts";
import { SpawnError } from "./spawn_error.ts";

/** The identity a process should run with; `null` fields are left as the daemon's. */
export interface Credentials {
  readonly uid: number | null;
  readonly gid: number | null;
  /** Supplementary groups to set, or `null` to leave them alone. */
  readonly groups: readonly number[] | null;
}

/** The daemon's own identity, as credential resolution needs it. */
export interface DaemonIdentity {
  readonly euid: number;
  readonly egid: number;
}

/** Credentials that change nothing. */
export const NO_CREDENTIALS: Credentials = { uid: null, gid: null, groups: null };

/**
 * Resolves `setuid`/`setgid` names against the account files of the process's root (Upstart
 * looks them up after chroot). The group defaults to the user's primary group; when the daemon
 * is root the supplementary groups are what `initgroups(user, gid)` would give.
 *
 * @throws {SpawnError} `unable to find setuid user` / `unable to find setgid group`.
 */
export function resolveCredentials(
  names: { readonly setuid: string | null; readonly setgid: string | null },
  files: { readonly passwd: string; readonly group: string },
  daemon: DaemonIdentity,
): Credentials {
  if (names.setuid === null && names.setgid === null) return NO_CREDENTIALS;
  const users = parsePasswd(files.passwd);
  const groups = parseGroup(files.group);
  let user: PasswdEntry | null = null;
  let gid: number | null = null;
  if (names.setuid !== null) {
    user = users.find((u) => u.name === names.setuid) ?? null;
    if (user === null) throw new SpawnError("unable to find setuid user");
    gid = user.gid;
  }
  if (names.setgid !== null) {
    const group = groups.find((g) => g.name === names.setgid);
    if (group === undefined) throw new SpawnError("unable to find setgid group");
    gid = group.gid;
  }
  if (daemon.euid !== 0) return { uid: user?.uid ?? null, gid, groups: null };
  // initgroups() for the target user, or for the daemon's own user when only setgid is given.
  const member = user?.name ?? users.find((u) => u.uid === daemon.euid)?.name ?? null;
  const primary = gid ?? daemon.egid;
  const supplementary = [primary];
  if (member !== null) {
    for (const g of groups) {
      if (g.members.includes(member) && !supplementary.includes(g.gid)) supplementary.push(g.gid);
    }
  }
  return { uid: user?.uid ?? null, gid, groups: supplementary };
}
