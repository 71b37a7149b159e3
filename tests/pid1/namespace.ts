/**
 * daybreak as PID 1 of fresh PID and mount namespaces (`unshare --pid --fork --mount-proc
 * --mount`), started exactly as a machine starts it: `bin/init` with no mode flag, its jobs from
 * a temporary `--confdir`, the host's /run and /var/log hidden under tmpfs mounts of the
 * namespace (see `_enter.sh`). Commands run inside through `nsenter`.
 *
 * `stop()` kills the namespace's init (and with it every process and mount of the namespace)
 * and removes the temporary tree.
 *
 * @module
 */

import { ROOT, waitFor } from "../helpers/test_daemon.ts";
import { childrenOf, isAlive } from "../helpers/procfs.ts";

export { ROOT, waitFor };

const decoder = new TextDecoder();

/** What a command printed and how it exited. */
export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running namespaced PID 1. */
export interface Pid1 {
  /** The init's pid as the host sees it. */
  readonly pid: number;
  /** The job directory (`--confdir`), on the host: jobs may be added or removed while it runs. */
  readonly confdir: string;
  /** Runs a command inside the namespaces, as root with a clean environment. */
  inside(...argv: string[]): Promise<Ran>;
  /** `bin/initctl ARGS` inside. */
  initctl(...args: string[]): Promise<Ran>;
  /** Sends raw lines to the system socket inside (see `_rpc.ts`); the replies, one a line. */
  rpc(lines: readonly string[], opts?: { wait?: boolean }): Promise<Ran>;
  /** Resolves with unshare's status once the namespace's init has ended. */
  readonly ended: Promise<Deno.CommandStatus>;
  /** What init wrote, once it ended (or after `stop`). */
  output(): Promise<string>;
  /** Kills the namespace (if still alive) and removes the tree; returns init's output. */
  stop(): Promise<string>;
}

/** Whether the PID-1 tests can run here; the reason when not. */
export function skipReason(): string | null {
  if (Deno.uid() !== 0) return "needs root";
  for (const tool of ["unshare", "nsenter", "setpriv"]) {
    const found = ["/usr/bin", "/bin", "/usr/sbin", "/sbin"].some((d) => {
      try {
        Deno.statSync(`${d}/${tool}`);
        return true;
      } catch {
        return false;
      }
    });
    if (!found) return `${tool} is missing`;
  }
  return null;
}

async function run(cmd: string, args: readonly string[]): Promise<Ran> {
  const out = await new Deno.Command(cmd, {
    args: [...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/**
 * Starts daybreak as a namespace's PID 1 with `jobs` (name → job file text) and waits until its
 * system socket answers `initctl version`.
 */
export async function startPid1(
  jobs: Readonly<Record<string, string>>,
  extraArgs: readonly string[] = [],
  options: { readonly bareRun?: boolean } = {},
): Promise<Pid1> {
  const dir = await Deno.makeTempDir({ prefix: "daybreak-pid1-" });
  await Deno.mkdir(`${dir}/conf`);
  for (const [name, text] of Object.entries(jobs)) {
    await Deno.writeTextFile(`${dir}/conf/${name}.conf`, text);
  }
  const child = new Deno.Command("unshare", {
    args: [
      "--pid",
      "--fork",
      "--mount-proc",
      "--mount",
      "sh",
      `${ROOT}tests/pid1/_enter.sh`,
      ROOT,
      `${dir}/conf`,
      ...extraArgs,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { PID1_TEST_BARE_RUN: options.bareRun === true ? "1" : "0" },
  }).spawn();
  const collected = child.output();
  const ended = collected.then((o) => ({ success: o.success, code: o.code, signal: o.signal }));
  let pid = 0;
  const env = [
    "env",
    "-i",
    "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME=/root",
    `DENO_DIR=${ROOT}.deno_dir`,
    "DENO_DISABLE_NODE_SHIM=1",
    "NO_COLOR=1",
  ];
  const inside = (...argv: string[]) =>
    run("nsenter", ["-t", String(pid), "-m", "-p", "--", ...env, ...argv]);
  const initctl = (...args: string[]) => inside(`${ROOT}bin/initctl`, ...args);
  const rpc = (lines: readonly string[], opts: { wait?: boolean } = {}) =>
    inside(
      `${ROOT}tools/deno/node_modules/deno/deno`,
      "run",
      "-A",
      "--quiet",
      `${ROOT}tests/pid1/_rpc.ts`,
      ...(opts.wait === false ? ["--no-wait"] : []),
      ...lines,
    );
  const output = async () => {
    const o = await collected;
    return decoder.decode(o.stdout) + decoder.decode(o.stderr);
  };
  let stopped = false;
  const stop = async () => {
    if (!stopped) {
      stopped = true;
      try {
        if (pid > 0 && isAlive(pid)) Deno.kill(pid, "SIGKILL");
        else child.kill("SIGKILL");
      } catch { /* gone already */ }
    }
    const text = await output();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    return text;
  };
  try {
    pid = await waitFor("the namespace's init", () => childrenOf(child.pid)[0] ?? null);
    await waitFor("the system socket", async () => (await initctl("version")).code === 0, {
      timeoutMs: 20_000,
      intervalMs: 100,
    });
  } catch (e) {
    const text = await stop();
    throw new Error(`${e instanceof Error ? e.message : e}\ninit said:\n${text}`);
  }
  return { pid, confdir: `${dir}/conf`, inside, initctl, rpc, ended, output, stop };
}
