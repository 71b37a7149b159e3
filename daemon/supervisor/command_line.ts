/**
 * How a job process's command becomes an argv (see docs/job-files.md#process-stanzas): through
 * `/bin/sh -e` for scripts and for command lines with shell metacharacters, else split on
 * whitespace and run directly.
 *
 * Pure: program lookup takes an injected probe so it can be tested without a filesystem.
 *
 * @module
 */

import { posix } from "../../sys/path.ts";

/** The shell every script and shell-needing command runs under. */
export const SHELL = "/bin/sh";

/** Upstart's `SHELL_CHARS`: any of these in an `exec` command sends it through the shell. */
export const SHELL_METACHARS = "~`!$^&*()=|\\{}[];\"'<>?";

/** Any of {@linkcode SHELL_METACHARS}: one test per spawn, not a string per character. */
const SHELL_CHAR = new RegExp(`[${SHELL_METACHARS.replace(/[\\\]^-]/g, "\\$&")}]`);

/** `execvp`'s search path when the job environment has no `PATH` (glibc's default). */
export const DEFAULT_EXEC_PATH = "/bin:/usr/bin";

/** The argv a process runs, and whether it goes through the shell. */
export interface CommandLine {
  readonly argv: readonly string[];
  readonly shell: boolean;
}

/**
 * true when `command` contains a character the shell must interpret (see
 * docs/job-files.md#process-stanzas).
 */
export function needsShell(command: string): boolean {
  return SHELL_CHAR.test(command);
}

/**
 * Builds the argv for an `exec` command line or a `script` block.
 *
 * Upstart runs single-line scripts as `/bin/sh -e -c TEXT /bin/sh` and feeds multi-line ones
 * through fd 9 (`/bin/sh -e /proc/self/fd/9`). `Deno.Command` cannot pass an extra fd, and stdin
 * must stay `/dev/null` for the job (a script's `read` or `cat` would otherwise eat the script),
 * so multi-line scripts go through `-c` too: the same `sh -e` semantics and the same `$0`
 * (`/bin/sh`), with `$LINENO` now matching the job file's block (Upstart's prepended
 * `exec 9<&-` line shifted it by one). The cost is the kernel's 128 KiB per-argument limit:
 * a larger script fails to spawn with `Argument list too long`.
 *
 * @example
 * ```ts
 * commandLine({ script: false, command: "/bin/sleep 10" }); // argv ["/bin/sleep", "10"]
 * commandLine({ script: false, command: "echo $HOME" });     // ["/bin/sh","-e","-c","exec echo $HOME","/bin/sh"]
 * ```
 */
export function commandLine(
  proc: { readonly script: boolean; readonly command: string },
): CommandLine {
  if (!proc.script && !needsShell(proc.command)) {
    return { argv: proc.command.split(/[ \t\r\n]+/).filter((w) => w !== ""), shell: false };
  }
  const text = (proc.script ? proc.command : `exec ${proc.command}`).replace(/\n+$/, "");
  return { argv: [SHELL, "-e", "-c", text, SHELL], shell: true };
}

/** What a probe of one candidate path found. */
export type ProbeResult = "ok" | "missing" | "denied";

/** Where to look for a program. */
export interface ResolveOptions {
  /** The job environment's `PATH`, or `null` when it has none. */
  readonly path: string | null;
  /** The directory relative names with a `/` are taken from (inside `root`). */
  readonly cwd: string;
  /** The job's `chroot` directory, or `null`. Candidate paths are probed under it. */
  readonly root: string | null;
}

/** A program found (its path as the process will see it), or `execvp`'s errno. */
export type ResolveResult = { readonly path: string } | { readonly error: "ENOENT" | "EACCES" };

/**
 * `execvp`'s lookup: a name with `/` is used as is; otherwise each `PATH` entry is tried in order
 * (an empty entry is the working directory). `EACCES` wins over `ENOENT` when some candidate
 * existed but could not be executed, as in glibc.
 *
 * @param probe checks one host path (already prefixed with `root`).
 */
export function resolveProgram(
  name: string,
  opts: ResolveOptions,
  probe: (hostPath: string) => ProbeResult,
): ResolveResult {
  const host = (p: string) => (opts.root === null ? p : posix.join(opts.root, p));
  if (name === "") return { error: "ENOENT" };
  if (name.includes("/")) {
    const inner = posix.isAbsolute(name) ? name : posix.join(opts.cwd, name);
    const found = probe(host(inner));
    if (found === "ok") return { path: inner };
    return { error: found === "denied" ? "EACCES" : "ENOENT" };
  }
  let denied = false;
  for (const dir of (opts.path ?? DEFAULT_EXEC_PATH).split(":")) {
    const base = dir === "" ? opts.cwd : posix.isAbsolute(dir) ? dir : posix.join(opts.cwd, dir);
    const inner = posix.join(base, name);
    const found = probe(host(inner));
    if (found === "ok") return { path: inner };
    if (found === "denied") denied = true;
  }
  return { error: denied ? "EACCES" : "ENOENT" };
}

/** The value of `KEY` in a `KEY=VALUE` list (last entry wins), or `null`. */
export function envValue(env: readonly string[], key: string): string | null {
  const prefix = `${key}=`;
  for (let i = env.length - 1; i >= 0; i--) {
    const entry = env[i]!;
    if (entry.startsWith(prefix)) return entry.slice(prefix.length);
  }
  return null;
}
