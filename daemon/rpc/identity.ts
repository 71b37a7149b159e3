/**
 * Who a caller is, beyond its uid: user name and groups, for delegated
 * control (`delegate` stanzas). The groups are the calling process's real
 * groups (`/proc/PID/status`: its gid and supplementary groups at the time of
 * the call); names come from `/etc/passwd` and `/etc/group`.
 *
 * @module
 */

import { parseGroup, parsePasswd } from "../../sys/accounts.ts";
import { readText } from "../../sys/libc.ts";
import type { PeerCredentials } from "./peercred.ts";

/** A caller's user name and group names. */
export interface CallerIdentity {
  readonly uid: number;
  readonly user: string | null;
  readonly groups: ReadonlySet<string>;
}

/** Where identities are looked up; tests pass their own files. */
export interface IdentitySources {
  /** `/etc/passwd` text. */
  passwd(): string | null;
  /** `/etc/group` text. */
  group(): string | null;
  /** `/proc/PID/status` text of the caller, while it is alive. */
  status(pid: number): string | null;
}

/** The machine's files, read through libc (Deno refuses /proc to its own APIs). */
export const SYSTEM_IDENTITY_SOURCES: IdentitySources = {
  passwd: () => readText("/etc/passwd"),
  group: () => readText("/etc/group"),
  status: (pid) => readText(`/proc/${pid}/status`),
};

/** The gids in a `/proc/PID/status` text: the real gid and the supplementary groups. */
export function statusGroups(status: string): number[] {
  const gid = /^Gid:\s+(\d+)/m.exec(status);
  const groups = /^Groups:\s*([\d ]*)$/m.exec(status);
  const out = new Set<number>();
  if (gid !== null) out.add(Number(gid[1]));
  for (const g of (groups?.[1] ?? "").trim().split(/\s+/)) if (g !== "") out.add(Number(g));
  return [...out];
}

/**
 * Resolves a caller's user and groups. Without a live `/proc` entry (the
 * client already exited) the groups fall back to the primary gid from
 * SO_PEERCRED plus the user's memberships in `/etc/group`.
 */
export function callerIdentity(
  peer: PeerCredentials,
  sources: IdentitySources = SYSTEM_IDENTITY_SOURCES,
): CallerIdentity {
  const users = parsePasswd(sources.passwd() ?? "");
  const groups = parseGroup(sources.group() ?? "");
  const user = users.find((u) => u.uid === peer.uid)?.name ?? null;
  const status = sources.status(peer.pid);
  const gids = status === null ? [peer.gid] : statusGroups(status);
  const names = new Set<string>();
  for (const gid of gids) {
    const g = groups.find((x) => x.gid === gid);
    if (g !== undefined) names.add(g.name);
  }
  if (status === null && user !== null) {
    for (const g of groups) if (g.members.includes(user)) names.add(g.name);
  }
  return { uid: peer.uid, user, groups: names };
}
