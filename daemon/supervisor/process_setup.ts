/**
 * The process-setup stanzas (spec §3.6) as a chain of real tools in front of the job's argv.
 *
 * `Deno.Command` has no hook between fork and exec (platform notes §3), so what Upstart does in
 * the child is done by small programs that each change one thing and exec the next, in
 * Upstart's order: rlimits (`prlimit`) → umask (`sh -c 'umask …; exec "$@"'`) → nice (`nice`) →
 * [oom score: written by the parent right after spawn] → chroot + chdir + setuid/setgid
 * (`setpriv`, and `nsenter --root --wd -S` when chrooted). When no stanza needs a tool the argv is
 * returned untouched: that fast path is a plain spawn.
 *
 * `apparmor switch` (main process only) is `aa-exec -p PROFILE --`. Upstart writes the profile
 * to `/proc/self/attr/exec` first, but it takes effect at the exec of the job's program, so the
 * later setup steps still run unconfined. `aa-exec` has the same effect on *its* next exec, so
 * it goes last, right before the program: the profile then confines exactly what Upstart's did,
 * and need not allow our tools. An unconfined process may always confine itself, so it still
 * works after `setpriv` dropped root, capabilities or set no-new-privileges. Under `chroot` it
 * goes right before `nsenter` (the new root rarely holds `aa-exec`): the profile must then also
 * let `nsenter` chroot, set the uid and exec the program.
 *
 * daybreak's sandbox stanzas wrap the chain further (`sandbox_args.ts`): `bwrap` outermost, for
 * the namespace and mount stanzas, so every later step already runs in the sandbox; and
 * `no-new-privileges`/`capabilities` as options of the same `setpriv` that switches user, which
 * applies them while still root.
 *
 * Why `nsenter` for chroot: the tools after `chroot(2)` must exist inside the new root, which
 * a minimal chroot rarely provides, and `chroot(1)` always changes to the new `/`. `nsenter` (no
 * namespace given) opens `--wd` before chrooting, so chdir happens with the same meaning as
 * Upstart's, and its `-S` sets only the uid; gid and supplementary groups are set by `setpriv`
 * before it, while we are still root.
 *
 * Pure: account files are passed in as text and parsed here.
 *
 * @module
 */

import { posix } from "node:path";
import type { JobClassSpec, ProcessName } from "../../parser/types.ts";
import { type SandboxSpec, SpawnError } from "../ports.ts";
import { profileSwitchArgv } from "../../security/apparmor.ts";
import { SHELL } from "./command_line.ts";
import {
  bwrapOptions,
  MONITOR_IGNORED_SIGNALS,
  needsNamespaces,
  privilegeOptions,
} from "./sandbox_args.ts";

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

/** The stanzas that shape the process, plus what the daemon already is. */
export interface SetupSpec {
  readonly process: ProcessName;
  readonly umask: number;
  readonly nice: number | null;
  readonly limits: JobClassSpec["limits"];
  readonly chroot: string | null;
  readonly chdir: string | null;
  readonly credentials: Credentials;
  /** The daemon's umask: children inherit it, so an equal job umask needs no wrapper. */
  readonly daemonUmask: number;
  /** The daemon's nice value: `nice(1)` is relative to it. */
  readonly daemonNice: number;
  /** The job's sandbox stanzas (daybreak extensions); absent means none. */
  readonly sandbox?: SandboxSpec;
  /** The expanded `apparmor switch` profile (main process only); absent or `null`: none. */
  readonly apparmorSwitch?: string | null;
}

/** What to spawn: the full argv and the working directory (`null` inherits the daemon's). */
export interface WrappedCommand {
  readonly argv: readonly string[];
  readonly cwd: string | null;
  /**
   * Set when the spawned program is bwrap's monitor: the job runs as its child, and the
   * monitor's exit status reports a signal N as 128+N.
   */
  readonly monitor?: true;
}

/** `dir` inside `root` as a host path, without a trailing slash. */
function inRoot(root: string, dir: string | null): string {
  return posix.join(root, dir ?? "/").replace(/(.)\/$/, "$1");
}

/**
 * The helper programs of the chain; absolute paths in production (the job's PATH may lack them).
 * `null` marks a tool that is not installed: a sandbox stanza needing it fails the spawn
 * (`unable to sandbox: bwrap not found`); Upstart's stanzas try the bare name, whose failure to
 * execute is reported as such.
 */
export interface SetupTools {
  readonly prlimit: string | null;
  readonly nice: string | null;
  readonly setpriv: string | null;
  readonly nsenter: string | null;
  readonly bwrap?: string | null;
  readonly env?: string | null;
  /** `aa-exec`, for `apparmor switch`; missing fails the spawn rather than run unconfined. */
  readonly aaExec?: string | null;
}

/** Bare names, resolved by the spawner's PATH search. */
export const TOOL_NAMES: SetupTools = {
  prlimit: "prlimit",
  nice: "nice",
  setpriv: "setpriv",
  nsenter: "nsenter",
  bwrap: "bwrap",
  env: "env",
  aaExec: "aa-exec",
};

type ToolName = keyof SetupTools;

/** The tool's path; for a sandbox stanza a missing tool fails the spawn, naming it. */
function tool(tools: SetupTools, name: ToolName, sandbox = false): string {
  const path = tools[name];
  if (path !== null) return path ?? name;
  if (sandbox) throw new SpawnError(`unable to sandbox: ${name} not found`);
  return name;
}

/** The `aa-exec` prefix for `apparmor switch`, or none. */
function switchArgv(spec: SetupSpec, tools: SetupTools): string[] {
  const profile = spec.apparmorSwitch ?? null;
  if (profile === null) return [];
  const aaExec = tools.aaExec === undefined ? TOOL_NAMES.aaExec! : tools.aaExec;
  if (aaExec === null) {
    throw new SpawnError(`unable to switch to apparmor profile ${profile}: aa-exec not found`);
  }
  return profileSwitchArgv(aaExec, profile);
}

/** `prlimit` option names per resource; they match the `limit` stanza's names. */
function limitOptions(limits: JobClassSpec["limits"]): string[] {
  const opts: string[] = [];
  for (const [resource, pair] of Object.entries(limits)) {
    if (pair === undefined) continue;
    opts.push(`--${resource}=${pair[0]}:${pair[1]}`);
  }
  return opts;
}

function groupOptions(c: Credentials): string[] {
  if (c.groups === null) return ["--keep-groups"];
  if (c.groups.length === 0) return ["--clear-groups"];
  return ["--groups", c.groups.join(",")];
}

/**
 * Wraps `argv` with the tools the stanzas need, in Upstart's order (spec §3.6 "Process setup
 * order"), inside the sandbox when one is asked for, with the AppArmor switch last (see the
 * module comment). The AppArmor `security` process skips every step, as in Upstart.
 *
 * @throws {SpawnError} `unable to sandbox: TOOL not found` when a sandbox tool is missing, and
 *   `unable to switch to apparmor profile NAME: aa-exec not found`.
 */
export function wrapCommand(
  argv: readonly string[],
  spec: SetupSpec,
  tools: SetupTools = TOOL_NAMES,
): WrappedCommand {
  if (spec.process === "security") return { argv, cwd: null };
  const chain: string[] = [];
  const sandbox = spec.sandbox ?? null;

  let monitor = false;
  if (sandbox !== null && needsNamespaces(sandbox)) {
    const env = tool(tools, "env", true);
    const signals = MONITOR_IGNORED_SIGNALS.join(",");
    chain.push(env, `--ignore-signal=${signals}`, tool(tools, "bwrap", true));
    chain.push(...bwrapOptions(sandbox), env, `--default-signal=${signals}`);
    monitor = true;
  }

  const limits = limitOptions(spec.limits);
  if (limits.length > 0) chain.push(tool(tools, "prlimit"), ...limits, "--");

  if (spec.umask !== spec.daemonUmask) {
    const mask = spec.umask.toString(8).padStart(4, "0");
    chain.push(SHELL, "-c", `umask ${mask} && exec "$@"`, SHELL);
  }

  if (spec.nice !== null && spec.nice !== spec.daemonNice) {
    chain.push(tool(tools, "nice"), "-n", String(spec.nice - spec.daemonNice));
  }

  const confine = switchArgv(spec, tools);
  const c = spec.credentials;
  let cwd: string | null = spec.chdir;
  if (spec.chroot !== null) {
    // nsenter still needs these as root once the bounding set is applied.
    const keep = c.uid === null ? ["sys_chroot"] : ["sys_chroot", "setuid"];
    const privs = sandbox === null ? [] : privilegeOptions(sandbox, keep);
    if (c.gid !== null || privs.length > 0) chain.push(tool(tools, "setpriv", privs.length > 0));
    if (c.gid !== null) chain.push("--regid", String(c.gid), ...groupOptions(c));
    chain.push(...privs, ...confine);
    const wd = inRoot(spec.chroot, spec.chdir);
    chain.push(tool(tools, "nsenter"), `--root=${spec.chroot}`, `--wd=${wd}`);
    if (c.uid !== null) chain.push("-S", String(c.uid));
    chain.push("--");
    cwd = null;
  } else {
    const privs = sandbox === null ? [] : privilegeOptions(sandbox);
    if (c.uid !== null || c.gid !== null || privs.length > 0) {
      chain.push(tool(tools, "setpriv", privs.length > 0));
      if (c.uid !== null) chain.push("--reuid", String(c.uid));
      if (c.gid !== null) chain.push("--regid", String(c.gid), ...groupOptions(c));
      chain.push(...privs, "--");
    }
    chain.push(...confine);
  }

  const wrapped = chain.length === 0 ? argv : [...chain, ...argv];
  return monitor ? { argv: wrapped, cwd, monitor: true } : { argv: wrapped, cwd };
}

/** The directories a spawn needs to exist, as host paths, for Upstart's error texts. */
export function requiredDirectories(
  spec: Pick<SetupSpec, "process" | "chroot" | "chdir">,
): { readonly root: string | null; readonly cwd: string | null } {
  if (spec.process === "security") return { root: null, cwd: null };
  if (spec.chroot === null) return { root: null, cwd: spec.chdir };
  return { root: spec.chroot, cwd: inRoot(spec.chroot, spec.chdir) };
}
