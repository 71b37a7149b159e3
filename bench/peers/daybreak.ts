/**
 * daybreak itself in user mode: `bin/init --user` on a scratch confdir and
 * socket, driven with `bin/initctl --socket`. Every job says `start on
 * startup`, so the daemon's own startup event starts all N.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { baseEnv, run } from "./exec.ts";
import { ManagerProcess } from "./manager_process.ts";
import { type Manager, serviceName } from "./manager.ts";

/** The repository root, resolved from this module (…/bench/peers/ → …/). */
export const DAYBREAK_ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

/** The job file of every benchmarked service. */
export const DAYBREAK_JOB = "start on startup\nrespawn\nexec sleep 100000\n";

/**
 * Parses `initctl list` / `initctl status`: running jobs and their pids, from
 * lines like `s0 start/running, process 1234`.
 */
export function parseInitctlList(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(\S+) start\/running, process (\d+)$/.exec(line.trim());
    if (m !== null) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** The daybreak adapter; `root` is the repository holding `bin/init` and `bin/initctl`. */
export class Daybreak implements Manager {
  readonly name = "daybreak";
  readonly notes = {
    start: "`bin/init --user --confdir DIR --socket SOCK` (jobs: `start on startup`, `respawn`)",
    list: "`bin/initctl --socket SOCK list`",
    restart: "`bin/initctl --socket SOCK restart sI`",
    stop: "SIGTERM to the daemon (session end stops every job)",
    other: "memory counts the daemon process (deno) and any helper it keeps",
  };
  readonly #root: string;
  readonly #init: string;
  readonly #initctl: string;
  #dir = "";
  #sock = "";
  #confdir = "";
  #env: Record<string, string> = {};
  readonly #daemon = new ManagerProcess();

  constructor(root: string = DAYBREAK_ROOT) {
    this.#root = root;
    this.#init = `${root.replace(/\/$/, "")}/bin/init`;
    this.#initctl = `${root.replace(/\/$/, "")}/bin/initctl`;
  }

  /** `deno.json`'s version and the checked-out commit. */
  async version(): Promise<string | null> {
    let version = "?";
    try {
      const conf: unknown = JSON.parse(await Deno.readTextFile(`${this.#root}/deno.json`));
      const v = (conf as { version?: unknown }).version;
      if (typeof v === "string") version = v;
    } catch {
      // No readable deno.json: leave the version unknown.
    }
    const git = await run(["git", "-C", this.#root, "rev-parse", "--short", "HEAD"], {
      env: baseEnv("/"),
    }).catch(() => null);
    const commit = git !== null && git.code === 0 ? ` (commit ${git.stdout.trim()})` : "";
    return `${version}${commit}`;
  }

  async available(): Promise<true | string> {
    for (const [path, name] of [[this.#init, "bin/init"], [this.#initctl, "bin/initctl"]]) {
      try {
        const st = await Deno.stat(path!);
        if (!st.isFile) return `${name} missing`;
      } catch {
        return `${name} missing`;
      }
    }
    return true;
  }

  async setup(dir: string, n: number): Promise<void> {
    this.#dir = dir;
    this.#confdir = `${dir}/conf`;
    this.#sock = `${dir}/daybreak.sock`;
    this.#env = {
      ...baseEnv(dir),
      XDG_RUNTIME_DIR: `${dir}/run`,
      XDG_CACHE_HOME: `${dir}/cache`,
    };
    await Deno.mkdir(`${dir}/run`, { recursive: true, mode: 0o700 });
    await Deno.mkdir(`${dir}/cache`, { recursive: true });
    await Deno.mkdir(this.#confdir, { recursive: true });
    for (let i = 0; i < n; i++) {
      await Deno.writeTextFile(`${this.#confdir}/${serviceName(i)}.conf`, DAYBREAK_JOB);
    }
  }

  start(): Promise<void> {
    this.#daemon.start(
      [this.#init, "--user", "--confdir", this.#confdir, "--socket", this.#sock],
      { env: this.#env, cwd: this.#dir },
    );
    return Promise.resolve();
  }

  managerPids(): Promise<number[]> {
    return Promise.resolve(this.#daemon.pids());
  }

  async list(): Promise<Map<string, number>> {
    return parseInitctlList((await this.#ctl("list")).stdout);
  }

  async reportedPid(i: number): Promise<number | null> {
    const name = serviceName(i);
    return parseInitctlList((await this.#ctl("status", name)).stdout).get(name) ?? null;
  }

  async restart(i: number): Promise<void> {
    await this.#ctl("restart", serviceName(i));
  }

  stopAll(): Promise<void> {
    this.#daemon.signal("SIGTERM");
    return Promise.resolve();
  }

  async teardown(): Promise<void> {
    await this.#daemon.end(() => this.#daemon.signal("SIGTERM"), 5000);
  }

  #ctl(...args: string[]) {
    return run([this.#initctl, "--socket", this.#sock, ...args], {
      env: this.#env,
      cwd: this.#dir,
    });
  }
}
