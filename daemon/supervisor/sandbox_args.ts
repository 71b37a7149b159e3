/**
 * The sandbox stanzas (daybreak extensions, `docs/job-files.md`) as arguments for real tools:
 * `bwrap` (bubblewrap) for the namespace and mount stanzas, `setpriv` for `no-new-privileges`
 * and `capabilities`. Namespaces are never created inside the daemon: they are per thread there
 * (platform notes §2).
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
 * Pure: no I/O.
 *
 * @module
 */

import { SANDBOX_DEFAULTS } from "../../parser/extension_stanzas.ts";
import type { SandboxSpec } from "../ports.ts";

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

/** Whether the stanzas need namespaces, hence bwrap. */
export function needsNamespaces(s: SandboxSpec): boolean {
  return s.privateTmp || s.protectSystem || s.privateNetwork || s.hostname !== null ||
    s.readWritePaths.length > 0 || s.readOnlyPaths.length > 0;
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
