/**
 * The process-setup stanzas (see docs/job-files.md#process-setup) as a chain of real tools in front
 * of the job's argv.
 *
 * `Deno.Command` has no hook between fork and exec (see docs/platform.md#processes), so what
 * Upstart does in the child is done by small programs that each change one thing and exec the next,
 * in Upstart's order: rlimits (`prlimit`) → umask (`sh -c 'umask …; exec "$@"'`) → nice (`nice`) →
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
 * daybreak's sandbox stanzas wrap the chain further (below): `bwrap` outermost, for
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
 * ## The sandbox
 *
 * The sandbox stanzas (daybreak extensions, `docs/job-files.md`) as arguments for real tools:
 * `bwrap` (bubblewrap) for the namespace and mount stanzas, `setpriv` for `no-new-privileges`
 * and `capabilities`. Namespaces are never created inside the daemon: they are per thread there
 * (see docs/platform.md#ffi).
 *
 * bwrap cannot exec in place: it clones the sandboxed process and stays behind as its parent,
 * a monitor that exits with the child's status (128+N for a death by signal N). Three things
 * keep that monitor invisible to the job's supervision:
 * - it is started with every catchable signal but SIGCHLD and SIGCONT ignored (`env
 *   --ignore-signal`), and the dispositions are restored inside before the job's program runs
 *   (`env --default-signal`), so a signal sent to the job's process group reaches the job and
 *   leaves the monitor alive until the job is gone;
 * - `--die-with-parent` ties the job to the monitor (SIGKILL when it dies);
 * - the daemon supervises the sandboxed child's pid (see `sandbox_monitor.ts`), so `status`
 *   shows the real pid and signals aimed at the main process reach it.
 * No `--new-session` (the job stays in the process group the daemon kills) and no
 * `--unshare-pid` (pids inside are the host's).
 *
 * Beyond the stanzas' own mounts, {@linkcode hardeningOptions} closes what would undo them
 * (docs/job-files.md#protect-system): a private `/dev/shm`, the capabilities a root job could
 * remount with, and the `seccomp` filter, which bwrap loads from an fd that a `sh` in front of
 * it opens (`Deno.Command` passes no fds but stdio).
 *
 * Pure: no I/O.
 *
 * @module
 */

import { posix } from "../sys/path.ts";
import { SANDBOX_DEFAULTS, type SandboxSpec } from "../parser/extension_stanzas.ts";
import type { JobClassSpec, ProcessName } from "../parser/types.ts";
import { profileSwitchArgv } from "./apparmor.ts";
import type { Credentials } from "./credentials.ts";
import { SpawnError } from "./spawn_error.ts";

/** The shell that sets a job's umask (umask has no tool of its own). */
const SHELL = "/bin/sh";

/**
 * Signals the bwrap monitor ignores: every catchable one but SIGCHLD (bwrap waits for its child
 * with it) and SIGCONT, and not 32/33 (glibc's own, unknown to `env`).
 */
export const MONITOR_IGNORED_SIGNALS: readonly number[] = [
  ...Array.from({ length: 31 }, (_, i) => i + 1).filter((n) => ![9, 17, 18, 19].includes(n)),
  ...Array.from({ length: 31 }, (_, i) => i + 34),
];

/** A sandbox that changes nothing. */
export const NO_SANDBOX: SandboxSpec = SANDBOX_DEFAULTS;

/** Whether the stanzas need namespaces (or bwrap's seccomp loader), hence bwrap. */
export function needsNamespaces(s: SandboxSpec): boolean {
  return privateView(s) || s.privateNetwork || s.hostname !== null || s.seccomp !== undefined;
}

/** Whether the job sees a file system of its own (and so a private `/dev/shm`). */
export function privateView(s: SandboxSpec): boolean {
  return s.privateTmp || s.protectSystem || s.readWritePaths.length > 0 ||
    s.readOnlyPaths.length > 0;
}

/**
 * Capabilities `protect-system` takes from a root job unless its `capabilities` stanza names
 * them, because each undoes the read-only view (docs/job-files.md#protect-system):
 * `sys_admin` remounts, unmounts and enters the host's mount namespace; `sys_ptrace` takes over
 * a host process outside the sandbox; `sys_module` loads kernel code; `sys_rawio` writes raw
 * I/O ports and `/dev/mem`; `mknod` makes device nodes of the host's disks.
 */
export const PROTECT_SYSTEM_DROPPED_CAPABILITIES: readonly string[] = [
  "mknod",
  "sys_module",
  "sys_rawio",
  "sys_ptrace",
  "sys_admin",
];

/** The fd number the seccomp filter is read from by bwrap (opened by the `sh` before it). */
export const SECCOMP_FD = 9;

/**
 * bwrap's options that harden the sandbox beyond the stanzas' own mounts (inserted by
 * {@linkcode wrapCommand} before `--die-with-parent`, after every mount of
 * {@linkcode bwrapOptions}):
 * - a private `/dev/shm` (a fresh tmpfs, mode 1777) whenever the job has a file-system view of
 *   its own, unless a path list names `/dev/shm` or a path under it (the job asked for the
 *   host's);
 * - `protect-system`: `--cap-drop` for {@linkcode PROTECT_SYSTEM_DROPPED_CAPABILITIES} not
 *   named by the `capabilities` stanza;
 * - `seccomp`: `--seccomp FD`, the filter read from {@linkcode SECCOMP_FD}.
 */
export function hardeningOptions(s: SandboxSpec): string[] {
  const opts: string[] = [];
  const listed = [...s.readWritePaths, ...s.readOnlyPaths];
  const hostShm = listed.some((p) => /^\/dev\/shm(\/|$)/.test(p));
  if (privateView(s) && !hostShm) opts.push("--perms", "1777", "--tmpfs", "/dev/shm");
  if (s.protectSystem) {
    const wanted = new Set(s.capabilities ?? []);
    for (const cap of PROTECT_SYSTEM_DROPPED_CAPABILITIES) {
      if (!wanted.has(cap)) opts.push("--cap-drop", `CAP_${cap.toUpperCase()}`);
    }
  }
  if (s.seccomp !== undefined) opts.push("--seccomp", String(SECCOMP_FD));
  return opts;
}

function depth(path: string): number {
  return path.split("/").filter((p) => p !== "").length;
}

/** The directories strictly between `top` and each path below it, parents first. */
function ancestorsIn(top: string, paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const path of paths) {
    const parts = path.split("/").filter((p) => p !== "");
    for (let n = depth(top) + 1; n < parts.length; n++) {
      const dir = `/${parts.slice(0, n).join("/")}`;
      if (dir.startsWith(`${top}/`)) out.add(dir);
    }
  }
  return [...out].sort((a, b) => depth(a) - depth(b));
}

/**
 * bwrap's options for the stanzas, up to and including the `--` before the command.
 *
 * Later mounts cover earlier ones, so the path lists are mounted shallowest first: a read-only
 * path inside a read-write one stays read-only, and the reverse. At equal depth a read-only
 * path comes last: when a path is listed as both, read-only wins.
 */
export function bwrapOptions(s: SandboxSpec): string[] {
  const opts = [s.protectSystem ? "--ro-bind" : "--bind", "/", "/"];
  // bwrap mounts its binds nodev: /dev needs its devices back. A fresh /proc matches the
  // new mount namespace (no --unshare-pid: it still shows every host process).
  opts.push("--dev-bind", "/dev", "/dev", "--proc", "/proc");
  if (s.privateTmp) {
    opts.push("--perms", "1777", "--tmpfs", "/tmp");
    // bwrap creates missing mount points 0700: paths listed inside the new /tmp would be
    // unreachable for a job that is not root.
    for (const dir of ancestorsIn("/tmp", [...s.readWritePaths, ...s.readOnlyPaths])) {
      opts.push("--perms", "0755", "--dir", dir);
    }
  }
  const binds = [
    ...s.readWritePaths.map((p) => ({ p, opt: "--bind", order: 0 })),
    ...s.readOnlyPaths.map((p) => ({ p, opt: "--ro-bind", order: 1 })),
  ].map((b, i) => ({ ...b, i }));
  binds.sort((a, b) => depth(a.p) - depth(b.p) || a.order - b.order || a.i - b.i);
  for (const b of binds) opts.push(b.opt, b.p, b.p);
  if (s.privateNetwork) opts.push("--unshare-net");
  if (s.hostname !== null) opts.push("--unshare-uts", "--hostname", s.hostname);
  opts.push("--die-with-parent", "--");
  return opts;
}

/**
 * `setpriv` options for `no-new-privileges` and `capabilities` (empty when neither is set).
 *
 * `keep` lists capabilities the rest of the chain still needs as root after the bounding set is
 * applied (`nsenter` chroots with `cap_sys_chroot` and switches user with `cap_setuid`): root's
 * capabilities after exec are limited to the bounding set.
 */
export function privilegeOptions(s: SandboxSpec, keep: readonly string[] = []): string[] {
  const opts: string[] = [];
  if (s.noNewPrivileges) opts.push("--no-new-privs");
  if (s.capabilities !== null) {
    const caps = [...new Set([...s.capabilities, ...keep])];
    opts.push("--bounding-set", ["-all", ...caps.map((c) => `+${c}`)].join(","));
  }
  return opts;
}

/**
 * The exit status of a process run under the bwrap monitor: the monitor reports a death by
 * signal N as exit status 128+N, like a shell, so such statuses are read back as signals. A
 * sandboxed program that itself exits with 129…192 is reported as killed by a signal.
 */
export function monitorStatus(code: number): { readonly code: number } | {
  readonly signal: number;
} {
  return code > 128 && code <= 128 + 64 ? { signal: code - 128 } : { code };
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
  /**
   * The compiled filter of the `seccomp` stanza (a file of BPF, see `sys/seccomp.ts`); needed
   * when the sandbox has one.
   */
  readonly seccompFile?: string | null;
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
 * Wraps `argv` with the tools the stanzas need, in Upstart's order (see
 * docs/job-files.md#process-setup "Process setup order"), inside the sandbox when one is asked for,
 * with the AppArmor switch last (see the module comment). The AppArmor `security` process skips
 * every step, as in Upstart.
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
    if (sandbox.seccomp !== undefined) {
      // Deno.Command passes stdio only: the shell opens the filter on the fd bwrap reads.
      const file = spec.seccompFile ?? null;
      if (file === null) throw new SpawnError("unable to sandbox: no seccomp filter");
      chain.push(SHELL, "-c", `exec "$@" ${SECCOMP_FD}<"$0"`, file);
    }
    chain.push(env, `--ignore-signal=${signals}`, tool(tools, "bwrap", true));
    const opts = bwrapOptions(sandbox);
    // Before the trailing `--die-with-parent --`, after every mount.
    opts.splice(opts.length - 2, 0, ...hardeningOptions(sandbox));
    chain.push(...opts, env, `--default-signal=${signals}`);
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
