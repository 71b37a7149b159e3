/**
 * runit: `runsvdir` on a scratch service directory, one `runsv` per service,
 * queried and controlled with `sv` (`SVDIR` pointing at the scratch directory).
 *
 * @module
 */

import { debianVersion } from "./install.ts";
import { baseEnv, run } from "./exec.ts";
import { ManagerProcess } from "./manager_process.ts";
import { commandsPresent, type Manager, serviceName, writeRunScript } from "./manager.ts";

/**
 * Parses `sv status` output: the running services and their pids, from lines
 * like `run: s0: (pid 1722) 2s`. Down, failed and warning lines are skipped.
 */
export function parseSvStatus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^run: ([^:]+): \(pid (\d+)\)/.exec(line);
    if (m !== null) out.set(m[1]!.split("/").at(-1)!, Number(m[2]));
  }
  return out;
}

/** The runit adapter. */
export class Runit implements Manager {
  readonly name = "runit";
  readonly debianPackage = "runit";
  readonly notes = {
    start: "`runsvdir DIR` (one `runsv` per service, `run` = `exec sleep 100000`)",
    list: "`sv status s0 … sN-1` with `SVDIR=DIR`",
    restart: "`sv restart sI`",
    stop: "SIGHUP to runsvdir (each runsv stops its service and exits)",
    other: "memory counts runsvdir and every per-service runsv; the service directory is " +
      "written over 1 s before launch, since runsvdir skips one modified within the current second",
  };
  #dir = "";
  #svdir = "";
  #n = 0;
  #env: Record<string, string> = {};
  readonly #daemon = new ManagerProcess();

  version(): Promise<string | null> {
    return debianVersion(this.debianPackage);
  }

  available(): Promise<true | string> {
    return commandsPresent(["runsvdir", "runsv", "sv"]);
  }

  async setup(dir: string, n: number): Promise<void> {
    this.#dir = dir;
    this.#svdir = `${dir}/service`;
    this.#n = n;
    this.#env = { ...baseEnv(dir), SVDIR: this.#svdir };
    for (let i = 0; i < n; i++) await writeRunScript(`${this.#svdir}/${serviceName(i)}`);
  }

  start(): Promise<void> {
    this.#daemon.start(["runsvdir", this.#svdir], { env: this.#env, cwd: this.#dir });
    return Promise.resolve();
  }

  managerPids(): Promise<number[]> {
    return Promise.resolve(this.#daemon.pids());
  }

  async list(): Promise<Map<string, number>> {
    const names = Array.from({ length: this.#n }, (_, i) => serviceName(i));
    return parseSvStatus((await this.#sv("status", ...names)).stdout);
  }

  async reportedPid(i: number): Promise<number | null> {
    const name = serviceName(i);
    return parseSvStatus((await this.#sv("status", name)).stdout).get(name) ?? null;
  }

  async restart(i: number): Promise<void> {
    await this.#sv("restart", serviceName(i));
  }

  stopAll(): Promise<void> {
    this.#daemon.signal("SIGHUP");
    return Promise.resolve();
  }

  async teardown(): Promise<void> {
    await this.#daemon.end(() => this.#daemon.signal("SIGHUP"), 3000);
  }

  #sv(...args: string[]) {
    return run(["sv", ...args], { env: this.#env, cwd: this.#dir });
  }
}
