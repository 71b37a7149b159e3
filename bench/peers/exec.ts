/**
 * Running commands for the benchmark, and cleaning up after them.
 *
 * Every child goes through {@linkcode run} or {@linkcode launch}, which record
 * its pid: Deno waits for those itself (through a pidfd), so the orphan reaper
 * must never `waitpid` them. Everything else that ends up as a zombie child of
 * the bench (it is a subreaper) is an orphan and is reaped by pid.
 *
 * @module
 */

import { becomeSubreaper, listDir, readText, reapPid } from "./_libc.ts";
import { childrenOf, descendantsOf, parseStat, scanProcesses } from "./proc.ts";

const denoChildren = new Set<number>();
const decoder = new TextDecoder();

/** The environment every manager and command gets (nothing else leaks in). */
export function baseEnv(home: string): Record<string, string> {
  return {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    HOME: home,
    LANG: "C.UTF-8",
    DENO_DISABLE_NODE_SHIM: "1",
    NO_COLOR: "1",
  };
}

/** Options for {@linkcode run} and {@linkcode launch}. */
export interface ExecOptions {
  /** The whole environment of the child, unless `inheritEnv`. */
  readonly env: Record<string, string>;
  /**
   * Start from the bench's own environment and add `env` on top: for
   * installers, which need the user's proxy, CA and registry settings.
   * @default false
   */
  readonly inheritEnv?: boolean;
  readonly cwd?: string;
  /** Kill the command (SIGKILL) after this many milliseconds. @default 60000 */
  readonly timeoutMs?: number;
}

/** How a command ended. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A command that exited unsuccessfully when success was required. */
export class CommandFailedError extends Error {
  readonly argv: readonly string[];
  readonly result: RunResult;

  constructor(argv: readonly string[], result: RunResult) {
    const tail = result.stderr.trim().split("\n").slice(-3).join(" | ");
    super(`Cannot run ${argv.join(" ")}: exit status ${result.code}: ${tail}`);
    this.name = "CommandFailedError";
    this.argv = argv;
    this.result = result;
  }
}

/** Runs a command to completion, capturing its output. */
export async function run(argv: readonly string[], options: ExecOptions): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new RangeError("Cannot run an empty command");
  const child = new Deno.Command(cmd, {
    args,
    env: options.env,
    clearEnv: options.inheritEnv !== true,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
  }).spawn();
  denoChildren.add(child.pid);
  try {
    const out = await child.output();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } finally {
    denoChildren.delete(child.pid);
  }
}

/** Runs a command and throws unless it exits 0. @throws {CommandFailedError} */
export async function runOk(argv: readonly string[], options: ExecOptions): Promise<RunResult> {
  const r = await run(argv, options);
  if (r.code !== 0) throw new CommandFailedError(argv, r);
  return r;
}

/** A long-running child (a manager), in its own session, with stdio on /dev/null. */
export interface Launched {
  readonly pid: number;
  /** Settles when the child has exited and been reaped. */
  readonly status: Promise<Deno.CommandStatus>;
}

/** Starts a manager in a new session (setsid) and returns at once. */
export function launch(argv: readonly string[], options: ExecOptions): Launched {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new RangeError("Cannot launch an empty command");
  const child = new Deno.Command(cmd, {
    args,
    env: options.env,
    clearEnv: true,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  const pid = child.pid;
  denoChildren.add(pid);
  const status = child.status.finally(() => denoChildren.delete(pid));
  status.catch(() => {});
  return { pid, status };
}

/** Makes the bench a child subreaper: orphans of the managers come back to it. */
export function adoptOrphans(): void {
  becomeSubreaper();
}

/** Reaps zombie children that Deno does not wait for (re-parented orphans). */
export function reapOrphans(): number {
  let n = 0;
  for (const tid of listDir(`/proc/${Deno.pid}/task`)) {
    for (const pid of childrenOf(Deno.pid, Number(tid))) {
      if (denoChildren.has(pid)) continue;
      const text = readText(`/proc/${pid}/stat`);
      if (text !== null && parseStat(text)?.state === "Z" && reapPid(pid)) n++;
    }
  }
  return n;
}

function killQuietly(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    // Already gone: that is what we want.
  }
}

/** The live (non-zombie) descendants of the bench. */
export function liveDescendants(): number[] {
  reapOrphans();
  const table = scanProcesses();
  return descendantsOf(table, Deno.pid).filter((pid) => table.get(pid)?.state !== "Z");
}

/**
 * SIGKILLs every descendant of the bench until none is left alive (managers,
 * services, stray commands) and reaps the orphans among them. Returns how many
 * are still alive after `timeoutMs` (0 on success).
 */
export async function killAllDescendants(timeoutMs = 10_000): Promise<number> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const live = liveDescendants();
    if (live.length === 0) return 0;
    if (performance.now() > until) return live.length;
    for (const pid of live) killQuietly(pid);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The synchronous last resort for a signal handler: SIGKILL all descendants, a few passes. */
export function killAllDescendantsNow(): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let pass = 0; pass < 5; pass++) {
    const live = liveDescendants();
    if (live.length === 0) return;
    for (const pid of live) killQuietly(pid);
    Atomics.wait(pause, 0, 0, 30);
  }
}
