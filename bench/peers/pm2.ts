/**
 * pm2 7, installed from npm into the bench's work directory, with a private
 * `PM2_HOME` per session so the default pm2 home is never touched.
 *
 * Any pm2 command that finds no daemon spawns one, so the adapter only talks
 * to pm2 once its RPC socket exists, and `teardown` runs `pm2 kill` only when
 * there is a daemon to kill.
 *
 * @module
 */

import { join } from "node:path";
import { baseEnv, launch, type Launched, run, runOk } from "./exec.ts";
import { type Manager, serviceName, which, within } from "./manager.ts";
import { managerTree, scanProcesses } from "./proc.ts";

/** The pm2 release line the bench installs. */
export const PM2_SPEC = "pm2@7";

/** The ecosystem file for `n` services: the binary `sleep`, no interpreter. */
export function pm2Ecosystem(n: number): string {
  const apps = Array.from({ length: n }, (_, i) => ({
    name: serviceName(i),
    script: "sleep",
    args: "100000",
    interpreter: "none",
    autorestart: true,
  }));
  return JSON.stringify({ apps }, null, 1);
}

interface JlistEntry {
  readonly name?: unknown;
  readonly pid?: unknown;
  readonly pm2_env?: { readonly status?: unknown };
}

/**
 * Parses `pm2 jlist`: the online services and their pids. The JSON array is
 * the last line that starts with `[{` (a daemon spawn prints `[PM2]` lines first).
 */
export function parsePm2Jlist(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const line = text.split("\n").findLast((l) => l.startsWith("[{") || l.trim() === "[]");
  if (line === undefined) return out;
  let entries: unknown;
  try {
    entries = JSON.parse(line);
  } catch {
    return out; // a truncated answer (the command was killed): nothing is known
  }
  if (!Array.isArray(entries)) return out;
  for (const e of entries as JlistEntry[]) {
    if (
      typeof e.name === "string" && typeof e.pid === "number" && e.pid > 0 &&
      e.pm2_env?.status === "online"
    ) out.set(e.name, e.pid);
  }
  return out;
}

/** Parses `pm2 pid NAME`: the pid, or `null` for an empty answer or 0 (not running). */
export function parsePm2Pid(text: string): number | null {
  const m = /^(\d+)$/m.exec(text.trim());
  return m === null || Number(m[1]) <= 0 ? null : Number(m[1]);
}

/** The pm2 adapter; `installDir` holds `node_modules/pm2`. */
export class Pm2 implements Manager {
  readonly name = "pm2";
  readonly notes = {
    start: "`pm2 start ecosystem.json` (binary `sleep`, `interpreter: none`, private PM2_HOME)",
    list: "`pm2 jlist`",
    restart: "`pm2 restart sI`",
    stop: "`pm2 kill` (stops every app, then the God daemon)",
    other: "memory counts the God daemon; app output goes to pm2's default log files",
  };
  readonly #installDir: string;
  #dir = "";
  #home = "";
  #env: Record<string, string> = {};
  #cli: Launched | null = null;

  constructor(installDir: string) {
    this.#installDir = installDir;
  }

  get #bin(): string {
    return join(this.#installDir, "node_modules", "pm2", "bin", "pm2");
  }

  async version(): Promise<string | null> {
    try {
      const pkg: unknown = JSON.parse(
        await Deno.readTextFile(join(this.#installDir, "node_modules", "pm2", "package.json")),
      );
      const v = (pkg as { version?: unknown }).version;
      return typeof v === "string" ? v : null;
    } catch {
      return null;
    }
  }

  async available(): Promise<true | string> {
    if (await which("node") === null) return "missing: node";
    try {
      await Deno.stat(this.#bin);
      return true;
    } catch {
      return `missing: ${this.#bin}`;
    }
  }

  async install(): Promise<void> {
    if (await which("npm") === null) throw new Error("Cannot install pm2: npm is not on PATH");
    await Deno.mkdir(this.#installDir, { recursive: true });
    await runOk(
      ["npm", "install", "--prefix", this.#installDir, "--no-audit", "--no-fund", PM2_SPEC],
      { env: { npm_config_loglevel: "error" }, inheritEnv: true, timeoutMs: 300_000 },
    );
  }

  async setup(dir: string, n: number): Promise<void> {
    this.#dir = dir;
    this.#home = `${dir}/pm2home`;
    this.#env = { ...baseEnv(dir), PM2_HOME: this.#home };
    await Deno.mkdir(this.#home, { recursive: true });
    await Deno.writeTextFile(`${dir}/ecosystem.json`, pm2Ecosystem(n));
  }

  start(): Promise<void> {
    this.#cli = launch([this.#bin, "start", `${this.#dir}/ecosystem.json`], {
      env: this.#env,
      cwd: this.#dir,
    });
    return Promise.resolve();
  }

  async managerPids(): Promise<number[]> {
    const god = await this.#godPid();
    return god === null ? [] : managerTree(god, scanProcesses());
  }

  async list(): Promise<Map<string, number>> {
    if (!await this.#daemonUp()) return new Map();
    return parsePm2Jlist((await this.#pm2("jlist")).stdout);
  }

  async reportedPid(i: number): Promise<number | null> {
    if (!await this.#daemonUp()) return null;
    return parsePm2Pid((await this.#pm2("pid", serviceName(i))).stdout);
  }

  async restart(i: number): Promise<void> {
    await this.#pm2("restart", serviceName(i));
  }

  async stopAll(): Promise<void> {
    await this.#pm2("kill");
  }

  async teardown(): Promise<void> {
    if (await this.#daemonUp()) await this.#pm2("kill").catch(() => {});
    const cli = this.#cli;
    this.#cli = null;
    if (cli !== null) await within(cli.status, 3000);
  }

  /** The God daemon's pid from `PM2_HOME/pm2.pid`, if it is alive. */
  async #godPid(): Promise<number | null> {
    try {
      const pid = Number((await Deno.readTextFile(`${this.#home}/pm2.pid`)).trim());
      if (!Number.isInteger(pid) || pid <= 0) return null;
      Deno.kill(pid, "SIGCONT"); // a harmless signal: throws when the pid is gone
      return pid;
    } catch {
      return null;
    }
  }

  async #daemonUp(): Promise<boolean> {
    try {
      await Deno.stat(`${this.#home}/rpc.sock`);
    } catch {
      return false;
    }
    return await this.#godPid() !== null;
  }

  #pm2(...args: string[]) {
    return run([this.#bin, ...args], { env: this.#env, cwd: this.#dir });
  }
}
