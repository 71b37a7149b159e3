/**
 * Runs `bin/init --container` for the container-mode tests, plainly or as PID 1 of a new PID
 * namespace (`unshare --pid --fork --mount-proc`), and finds its processes from the outside.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { childrenOf, procState } from "../helpers/procfs.ts";
import { readText } from "../../sys/libc.ts";

/** The checkout's root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
/** `bin/init`. */
export const INIT = `${ROOT}/bin/init`;

/** How init is run. */
export type Setup = "plain" | "pidns";
export const SETUPS: readonly Setup[] = ["plain", "pidns"];

/** The argv that runs `init ARGS...` in `setup`. */
export function initArgv(setup: Setup, args: readonly string[], init = INIT): string[] {
  return setup === "pidns"
    ? ["unshare", "--pid", "--fork", "--mount-proc", init, ...args]
    : [init, ...args];
}

/**
 * Runs `sh -c SCRIPT` from the checkout as PID 1 of a new PID namespace with a private mount
 * namespace (for scripts that mount over /run, /var/log or /etc before they exec init).
 */
export function shInNamespaces(script: string): Promise<Deno.CommandOutput> {
  return new Deno.Command("unshare", {
    args: [
      "--mount",
      "--propagation",
      "private",
      "--pid",
      "--fork",
      "--mount-proc",
      "sh",
      "-c",
      script,
    ],
    cwd: ROOT,
    stdin: "null",
  }).output();
}

/** A running init; `await using` kills whatever it left. */
export interface RunningInit extends AsyncDisposable {
  /** The process the test spawned (unshare, or init itself). */
  readonly child: Deno.ChildProcess;
  /** init's pid as seen from here (inside the namespace it is 1). */
  initPid(): Promise<number>;
  /** Resolves with the exit code, stdout and stderr. */
  result(): Promise<{ code: number; signal: Deno.Signal | null; stdout: string; stderr: string }>;
}

/** Starts `init ARGS...` with piped stdout/stderr. */
export function startInit(
  setup: Setup,
  args: readonly string[],
  options: { env?: Record<string, string>; wrapper?: readonly string[] } = {},
): RunningInit {
  const argv = [...(options.wrapper ?? []), ...initArgv(setup, args)];
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: options.env ?? {},
  }).spawn();
  const output = child.output();
  let pid: number | null = null;
  const initPid = async () => {
    if (pid !== null) return pid;
    if (setup === "plain" && options.wrapper === undefined) return (pid = child.pid);
    // unshare (or the wrapper, which execs) forks init: its only child.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const kids = childrenOf(child.pid);
      if (kids.length === 1 && setup === "pidns") return (pid = kids[0]!);
      if (setup === "plain" && (readText(`/proc/${child.pid}/cmdline`) ?? "").includes("deno")) {
        return (pid = child.pid);
      }
      await sleep(5);
    }
    throw new Error("init did not start");
  };
  const decoder = new TextDecoder();
  return {
    child,
    initPid,
    result: async () => {
      const out = await output;
      return {
        code: out.code,
        signal: out.signal,
        stdout: decoder.decode(out.stdout),
        stderr: decoder.decode(out.stderr),
      };
    },
    async [Symbol.asyncDispose]() {
      const all = descendantsOf(child.pid);
      for (const p of [child.pid, ...all]) {
        try {
          Deno.kill(p, "SIGKILL");
        } catch { /* gone */ }
      }
      await output.catch(() => {});
    },
  };
}

/** Every descendant of `pid`. */
export function descendantsOf(pid: number): number[] {
  const out: number[] = [];
  const queue = childrenOf(pid);
  while (queue.length > 0) {
    const p = queue.shift()!;
    out.push(p);
    queue.push(...childrenOf(p));
  }
  return out;
}

/** Zombie children of `pid`. */
export function zombieChildren(pid: number): number[] {
  return childrenOf(pid).filter((p) => procState(p) === "Z");
}

/** A `SigXxx:` mask of `/proc/PID/status` as a bigint (null when gone). */
export function signalMask(pid: number, field: "SigBlk" | "SigIgn" | "SigCgt"): bigint | null {
  const m = new RegExp(`^${field}:\\s*([0-9a-f]+)`, "m").exec(
    readText(`/proc/${pid}/status`) ?? "",
  );
  return m === null ? null : BigInt(`0x${m[1]}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it returns a non-null value (or throws after `ms`). */
export async function until<T>(
  what: string,
  fn: () => T | null | undefined,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== null && v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** A fresh temporary directory, removed by `await using`. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "daybreak-container-" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}
