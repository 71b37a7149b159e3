/**
 * User and group lookup from `/etc/passwd` and `/etc/group`, as `getpwnam`/`getgrnam` read them
 * for a system without NSS modules. Parsing is pure; {@linkcode readAccountFiles} reads the
 * files of a given root (a job's chroot has its own).
 *
 * @module
 */

import { posix } from "./path.ts";

/** One `/etc/passwd` entry, as far as the daemon needs it. */
export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** One `/etc/group` entry. */
export interface GroupEntry {
  readonly name: string;
  readonly gid: number;
  readonly members: readonly string[];
}

/** The text of both account files. */
export interface AccountFiles {
  readonly passwd: string;
  readonly group: string;
}

function field(line: string): string[] | null {
  if (line === "" || line.startsWith("#")) return null;
  return line.split(":");
}

function id(text: string | undefined): number | null {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : null;
}

/** Parses `/etc/passwd` text; malformed lines are skipped, as getpwnam does. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split("\n")) {
    const f = field(line);
    const uid = id(f?.[2]);
    const gid = id(f?.[3]);
    if (f === null || f[0] === undefined || f[0] === "" || uid === null || gid === null) continue;
    out.push({ name: f[0], uid, gid });
  }
  return out;
}

/** Parses `/etc/group` text; malformed lines are skipped. */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split("\n")) {
    const f = field(line);
    const gid = id(f?.[2]);
    if (f === null || f[0] === undefined || f[0] === "" || gid === null) continue;
    const members = (f[3] ?? "").split(",").filter((m) => m !== "");
    out.push({ name: f[0], gid, members });
  }
  return out;
}

/**
 * The account files under `root` (`null`: the machine's own). A missing or unreadable file reads
 * as empty: nobody is found in it, as getpwnam reports.
 */
export function readAccountFiles(root: string | null): AccountFiles {
  const read = (p: string) => {
    try {
      return Deno.readTextFileSync(posix.join(root ?? "/", p));
    } catch {
      return "";
    }
  };
  return { passwd: read("etc/passwd"), group: read("etc/group") };
}
