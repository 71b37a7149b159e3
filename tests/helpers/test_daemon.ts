/**
 * A real daemon for integration tests: `bin/init --user` on a private
 * temporary tree (confdir, 0700 runtime dir, cache and log dir, socket), with
 * a minimal environment and a marker variable every job inherits, driven only
 * through `bin/initctl` and the shortcuts.
 *
 * On dispose the daemon must show no zombie child, exit 0 on SIGTERM, and
 * leave no process carrying the marker; whatever is left is killed and the
 * test fails.
 *
 * `/proc` is read through `procfs.ts` (Deno grants it only with `--allow-all`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { kill } from "../../sys/libc.ts";
import { childrenOf, cmdline, isAlive, pidsWithEnv, procState } from "./procfs.ts";

export { childrenOf, cmdline, isAlive, pidsWithEnv, procState };

/** The project root (`/work/main/`), with a trailing slash. */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

const SIGKILL = 9;
const SIGTERM = 15;
const decoder = new TextDecoder();

/** What a command printed and how it exited. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@linkcode startTestDaemon}. */
export interface TestDaemonOptions {
  /** `--socket-mode` (e.g. `0o666`); the daemon's default otherwise. */
  readonly socketMode?: number;
  /**
   * Make the temporary tree 0755 instead of 0700, so that other users can
   * reach the socket (the runtime dir stays 0700).
   */
  readonly publicDir?: boolean;
  /** Emit `startup` (default: `--no-startup-event`). */
  readonly startupEvent?: boolean;
  /** More `init` arguments. */
  readonly args?: readonly string[];
  /** More daemon environment (jobs inherit it in user mode). */
  readonly env?: Readonly<Record<string, string>>;
  /** The control socket path (default: `initctl.sock` in the temporary tree). */
  readonly socket?: string;
  /** A command that runs `bin/init ARGS...` when appended to it (`unshare --mount ...`); it must exec. */
  readonly wrap?: readonly string[];
}

/** Options of {@linkcode TestDaemon.exec}. */
export interface ExecOptions {
  /** Run as uid/gid 65534 through `setpriv --clear-groups`. */
  readonly asNobody?: boolean;
  /** Pass `--socket PATH` (default true). */
  readonly socket?: boolean;
  /** More (or replaced) environment for the command. */
  readonly env?: Readonly<Record<string, string>>;
  /** Killed after this long (default 30 s). */
  readonly timeoutMs?: number;
}

/** Options of {@linkcode waitFor}. */
export interface WaitOptions {
  /** @default {10000} */
  readonly timeoutMs?: number;
  /** @default {20} */
  readonly intervalMs?: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` until it returns something other than `undefined`, `null` or
 * `false`, and returns that.
 *
 * @throws {Error} `Cannot wait for WHAT: still not true after N ms` at the deadline
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: WaitOptions = {},
): Promise<T> {
  const timeout = options.timeoutMs ?? 10_000;
  const interval = options.intervalMs ?? 20;
  const deadline = performance.now() + timeout;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (performance.now() >= deadline) {
      throw new Error(`Cannot wait for ${what}: still not true after ${timeout} ms`);
    }
    await sleep(interval);
  }
}

/** Mode bits of a path (`0o640`…). */
export async function modeOf(path: string): Promise<number> {
  return ((await Deno.stat(path)).mode ?? 0) & 0o7777;
}

async function drain(stream: ReadableStream<Uint8Array>, sink: (text: string) => void) {
  const dec = new TextDecoder();
  try {
    for await (const chunk of stream) sink(dec.decode(chunk, { stream: true }));
  } catch { /* closed */ }
}

/** A running daemon on a temporary tree. */
export class TestDaemon implements AsyncDisposable {
  /** The temporary tree, removed on dispose. */
  readonly dir: string;
  /** The `--confdir`. */
  readonly confDir: string;
  /** `XDG_RUNTIME_DIR` (0700). */
  readonly runtimeDir: string;
  /** `XDG_CACHE_HOME`. */
  readonly cacheDir: string;
  /** Where `console log` files go (`$XDG_CACHE_HOME/upstart`, docs/behaviour.md#user-session). */
  readonly logDir: string;
  /** `HOME`, an empty directory jobs may write to. */
  readonly home: string;
  /** The control socket. */
  readonly socket: string;
  /** The unique `DAYBREAK_TEST_ID` value. */
  readonly testId: string;
  /** The daemon's environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly #child: Deno.ChildProcess;
  readonly #status: Promise<Deno.CommandStatus>;
  readonly #drained: Promise<unknown>;
  #output = "";
  #exit: Deno.CommandStatus | null = null;
  #disposed = false;
  #terminated = false;

  /** @internal use {@linkcode startTestDaemon} */
  constructor(parts: {
    dir: string;
    testId: string;
    env: Record<string, string>;
    child: Deno.ChildProcess;
    socket: string;
  }) {
    this.dir = parts.dir;
    this.confDir = join(parts.dir, "conf");
    this.runtimeDir = join(parts.dir, "run");
    this.cacheDir = join(parts.dir, "cache");
    this.logDir = join(this.cacheDir, "upstart");
    this.home = join(parts.dir, "home");
    this.socket = parts.socket;
    this.testId = parts.testId;
    this.env = parts.env;
    this.#child = parts.child;
    this.#status = parts.child.status.then((s) => (this.#exit = s));
    this.#drained = Promise.all([
      drain(parts.child.stdout, (t) => (this.#output += t)),
      drain(parts.child.stderr, (t) => (this.#output += t)),
    ]);
  }

  /** The daemon's pid. */
  get daemonPid(): number {
    return this.#child.pid;
  }

  /** The session file the daemon announces itself in (see docs/behaviour.md#user-session). */
  get sessionFile(): string {
    return join(this.runtimeDir, "upstart", "sessions", `${this.daemonPid}.session`);
  }

  /** Everything the daemon printed so far (stdout and stderr interleaved). */
  get output(): string {
    return this.#output;
  }

  /** Everything the daemon printed, once it has ended and its output is read to the end. */
  async finalOutput(): Promise<string> {
    await this.#status;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.#drained, new Promise((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
    return this.#output;
  }

  /** The exit status once the daemon has ended, else null. */
  get exitStatus(): Deno.CommandStatus | null {
    return this.#exit;
  }

  /** Waits until the daemon's output matches `pattern`; returns the output. */
  waitForOutput(pattern: RegExp | string, options: WaitOptions = {}): Promise<string> {
    const test = (s: string) => typeof pattern === "string" ? s.includes(pattern) : pattern.test(s);
    return waitFor(`daemon output ${String(pattern)}`, () => {
      if (test(this.#output)) return this.#output;
      if (this.#exit !== null) throw new Error(`daemon exited:\n${this.#output}`);
      return null;
    }, options).catch((e) => {
      throw new Error(`${e instanceof Error ? e.message : e}; output:\n${this.#output}`);
    });
  }

  /** Runs `bin/PROG ARGS...` (with `--socket`) and collects its result. */
  async exec(prog: string, args: readonly string[], options: ExecOptions = {}): Promise<RunResult> {
    const env: Record<string, string> = {
      PATH: "/usr/bin:/bin",
      HOME: this.home,
      XDG_RUNTIME_DIR: this.runtimeDir,
      DAYBREAK_TEST_ID: this.testId,
      ...options.env,
    };
    const full = options.socket === false ? [...args] : ["--socket", this.socket, ...args];
    let command = join(ROOT, "bin", prog);
    let argv = full;
    if (options.asNobody === true) {
      argv = ["--reuid", "65534", "--regid", "65534", "--clear-groups", command, ...full];
      command = "setpriv";
      env.HOME = "/nonexistent";
    }
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), options.timeoutMs ?? 30_000);
    const out = await new Deno.Command(command, {
      args: argv,
      clearEnv: true,
      env,
      cwd: "/",
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: abort.signal,
    }).output().finally(() => clearTimeout(timer));
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  }

  /** `bin/initctl --socket PATH ARGS...`. */
  initctl(...args: string[]): Promise<RunResult> {
    return this.exec("initctl", args);
  }

  /** `bin/PROG --socket PATH ARGS...` (a shortcut such as `start`, or `initctl`). */
  run(prog: string, ...args: string[]): Promise<RunResult> {
    return this.exec(prog, args);
  }

  /** Like {@linkcode initctl} but asserts exit 0 and empty stderr; returns stdout. */
  async ok(...args: string[]): Promise<string> {
    const r = await this.initctl(...args);
    const what = `initctl ${args.join(" ")}`;
    assert.equal(r.stderr, "", `${what}: stderr; daemon output:\n${this.#output}`);
    assert.equal(r.code, 0, `${what}: exit status; daemon output:\n${this.#output}`);
    return r.stdout;
  }

  /** The main pid `initctl status` shows for a job (null when none). */
  async mainPid(job: string, ...env: string[]): Promise<number | null> {
    const out = await this.ok("status", job, ...env);
    const m = /, process (\d+)/.exec(out);
    return m === null ? null : Number(m[1]);
  }

  /** Polls `initctl status JOB` until its first line matches `pattern`; returns the output. */
  waitForStatus(job: string, pattern: RegExp, options: WaitOptions = {}): Promise<string> {
    return waitFor(`status of ${job} to match ${pattern}`, async () => {
      const r = await this.initctl("status", job);
      return pattern.test(r.stdout) ? r.stdout : null;
    }, options);
  }

  /** The path of a job file: `foo` → `conf/foo.conf`; names with an extension are kept. */
  jobPath(name: string): string {
    return join(this.confDir, /\.(conf|override)$/.test(name) ? name : `${name}.conf`);
  }

  /** Writes a job (or override) file into the confdir. */
  async writeJob(name: string, text: string): Promise<void> {
    const path = this.jobPath(name);
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeTextFile(path, text);
  }

  /** Removes a job (or override) file from the confdir. */
  async removeJob(name: string): Promise<void> {
    await Deno.remove(this.jobPath(name));
  }

  /** Pids of every live process carrying this test's marker, other than the daemon. */
  markedPids(): number[] {
    return pidsWithEnv(`DAYBREAK_TEST_ID=${this.testId}`)
      .filter((p) => p !== this.daemonPid && isAlive(p));
  }

  /**
   * Asserts that the daemon has no zombie child, allowing `settleMs` for a
   * child that just ended to be reaped (generous: a loaded machine may keep
   * the daemon from its SIGCHLD for seconds; a daemon that never reaps still fails).
   */
  async assertNoZombies(settleMs = 10_000): Promise<void> {
    const zombies = () => childrenOf(this.daemonPid).filter((p) => procState(p) === "Z");
    const deadline = performance.now() + settleMs;
    let found = zombies();
    while (found.length > 0 && performance.now() < deadline) {
      await sleep(20);
      found = zombies();
    }
    assert.deepEqual(found, [], `daemon ${this.daemonPid} has zombie children`);
  }

  /**
   * Sends SIGTERM and waits for the daemon to end (SIGKILL after `timeoutMs`).
   *
   * @returns its exit status and how long it took
   */
  async terminate(timeoutMs = 20_000): Promise<{ status: Deno.CommandStatus; ms: number }> {
    const t0 = performance.now();
    this.#terminated = true;
    if (this.#exit === null) {
      try {
        kill(this.daemonPid, SIGTERM);
      } catch { /* already gone */ }
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<null>((r) => (timer = setTimeout(() => r(null), timeoutMs)));
    const status = await Promise.race([this.#status, late]);
    clearTimeout(timer);
    if (status === null) {
      try {
        kill(this.daemonPid, SIGKILL);
      } catch { /* gone */ }
      await this.#status;
      throw new Error(`daemon did not exit within ${timeoutMs} ms of SIGTERM:\n${this.#output}`);
    }
    return { status, ms: performance.now() - t0 };
  }

  /** Checks zombies, stops the daemon, checks it exited 0 and left nothing behind. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const errors: unknown[] = [];
    if (this.#exit === null) {
      await this.assertNoZombies().catch((e) => errors.push(e));
      await this.terminate().then(
        ({ status }) => {
          if (status.code !== 0) {
            errors.push(new Error(`daemon exited ${status.code}:\n${this.#output}`));
          }
        },
        (e) => errors.push(e),
      );
    } else if (!this.#terminated && this.#exit.code !== 0) {
      const output = await this.finalOutput();
      errors.push(new Error(`daemon died during the test (${this.#exit.code}):\n${output}`));
    }
    const left = await this.#killLeftovers();
    if (left.length > 0) {
      errors.push(new Error(`processes left behind: ${left.join("; ")}`));
    }
    await this.finalOutput();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, "test daemon teardown failed");
  }

  /** Kills every marked process; returns descriptions of those found. */
  async #killLeftovers(): Promise<string[]> {
    const found = new Map<number, string>();
    for (let round = 0; round < 50; round++) {
      const pids = this.markedPids();
      if (pids.length === 0) break;
      for (const p of pids) {
        if (!found.has(p)) found.set(p, `${p} ${cmdline(p).join(" ")}`);
        try {
          kill(p, SIGKILL);
        } catch { /* gone */ }
      }
      await sleep(20);
    }
    return [...found.values()];
  }
}

/**
 * Starts `bin/init --user` on a fresh temporary tree holding `files` in its
 * confdir (`{"foo.conf": "exec sleep 60", "sub/bar.conf": …}`), and waits
 * until it serves its socket and has written its session file.
 *
 * @example Usage
 * ```ts ignore
 * await using d = await startTestDaemon({ "foo.conf": "exec sleep 60" });
 * const r = await d.run("start", "foo");
 * ```
 */
export async function startTestDaemon(
  files: Readonly<Record<string, string>> = {},
  options: TestDaemonOptions = {},
): Promise<TestDaemon> {
  const dir = await Deno.makeTempDir({ prefix: "daybreak-it-" });
  await Deno.chmod(dir, options.publicDir === true ? 0o755 : 0o700);
  for (const sub of ["conf", "cache", "home"]) await Deno.mkdir(join(dir, sub));
  await Deno.mkdir(join(dir, "run"), { mode: 0o700 });
  await Deno.chmod(join(dir, "run"), 0o700);
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, "conf", name);
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
  const testId = `${Deno.pid}-${crypto.randomUUID()}`;
  const env: Record<string, string> = {
    PATH: "/usr/bin:/bin",
    HOME: join(dir, "home"),
    XDG_RUNTIME_DIR: join(dir, "run"),
    XDG_CACHE_HOME: join(dir, "cache"),
    DAYBREAK_TEST_ID: testId,
    ...options.env,
  };
  const socket = options.socket ?? join(dir, "initctl.sock");
  const args = ["--user", "--confdir", join(dir, "conf"), "--socket", socket];
  if (options.socketMode !== undefined) {
    args.push("--socket-mode", options.socketMode.toString(8).padStart(4, "0"));
  }
  if (options.startupEvent !== true) args.push("--no-startup-event");
  args.push(...(options.args ?? []));
  const wrap = options.wrap ?? [];
  const child = new Deno.Command(wrap[0] ?? join(ROOT, "bin", "init"), {
    args: wrap.length > 0 ? [...wrap.slice(1), join(ROOT, "bin", "init"), ...args] : args,
    clearEnv: true,
    env,
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const d = new TestDaemon({ dir, testId, env, child, socket });
  try {
    await waitFor("the daemon's session file", async () => {
      if (d.exitStatus !== null) {
        const output = await d.finalOutput();
        throw new Error(`daemon exited ${d.exitStatus.code} at start:\n${output}`);
      }
      try {
        const text = await Deno.readTextFile(d.sessionFile);
        return text.endsWith("\n") && (await Deno.lstat(d.socket)).isSocket;
      } catch {
        return false;
      }
    }, { timeoutMs: 15_000, intervalMs: 10 });
  } catch (e) {
    await d[Symbol.asyncDispose]().catch(() => {});
    throw e;
  }
  return d;
}
