/**
 * s6: `s6-svscan` on a scratch scan directory, one `s6-supervise` per
 * service, queried with `s6-svstat` and controlled with `s6-svc` and
 * `s6-svscanctl`.
 *
 * @module
 */

import { debianVersion } from "./install.ts";
import { baseEnv, run } from "./exec.ts";
import { ManagerProcess } from "./manager_process.ts";
import { commandsPresent, type Manager, serviceName, writeRunScript } from "./manager.ts";

/**
 * s6 has no command that lists every service (`s6-svstat` takes one service
 * directory), so "list" is the usual shell loop over the scan directory.
 */
const LIST_SCRIPT =
  'for d in "$1"/*; do printf "%s " "${d##*/}"; s6-svstat -o up,pid "$d" || echo; done';

/**
 * Parses the list loop's output, lines `NAME true PID` for running services
 * (`s6-svstat -o up,pid` prints `true 2500`, or `false -1` when down).
 */
export function parseS6List(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(\S+) true (\d+)$/.exec(line.trim());
    if (m !== null && Number(m[2]) > 0) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** Parses `s6-svstat -o up,pid DIR`: the pid when up, else `null`. */
export function parseS6Svstat(text: string): number | null {
  const m = /^true (\d+)$/.exec(text.trim());
  return m === null || Number(m[1]) <= 0 ? null : Number(m[1]);
}

/** The s6 adapter. */
export class S6 implements Manager {
  readonly name = "s6";
  readonly debianPackage = "s6";
  readonly notes = {
    start: "`s6-svscan -c MAX SCANDIR` (one `s6-supervise` per service)",
    list: "`sh -c 'for d in SCANDIR/*; do s6-svstat -o up,pid $d; done'` (no list command)",
    restart: "`s6-svc -r SCANDIR/sI`",
    stop: "`s6-svscanctl -t SCANDIR` (brings every service down, then s6-svscan exits)",
    other: "memory counts s6-svscan and every per-service s6-supervise; s6-supervise " +
      "relaunches a service about 1 s after it died (measured here even for services up " +
      "for seconds), which dominates restart and respawn",
  };
  #dir = "";
  #scan = "";
  #n = 0;
  #env: Record<string, string> = {};
  readonly #daemon = new ManagerProcess();

  version(): Promise<string | null> {
    return debianVersion(this.debianPackage);
  }

  available(): Promise<true | string> {
    return commandsPresent(["s6-svscan", "s6-supervise", "s6-svc", "s6-svstat", "s6-svscanctl"]);
  }

  async setup(dir: string, n: number): Promise<void> {
    this.#dir = dir;
    this.#scan = `${dir}/scan`;
    this.#n = n;
    this.#env = baseEnv(dir);
    for (let i = 0; i < n; i++) await writeRunScript(`${this.#scan}/${serviceName(i)}`);
  }

  start(): Promise<void> {
    // -c: the default cap (500 services) would be exactly N at N = 500.
    const max = String(Math.max(1000, this.#n * 2));
    this.#daemon.start(["s6-svscan", "-c", max, this.#scan], { env: this.#env, cwd: this.#dir });
    return Promise.resolve();
  }

  managerPids(): Promise<number[]> {
    return Promise.resolve(this.#daemon.pids());
  }

  async list(): Promise<Map<string, number>> {
    const r = await run(["sh", "-c", LIST_SCRIPT, "sh", this.#scan], this.#opts());
    return parseS6List(r.stdout);
  }

  async reportedPid(i: number): Promise<number | null> {
    const r = await run(["s6-svstat", "-o", "up,pid", this.#svc(i)], this.#opts());
    return r.code === 0 ? parseS6Svstat(r.stdout) : null;
  }

  async restart(i: number): Promise<void> {
    await run(["s6-svc", "-r", this.#svc(i)], this.#opts());
  }

  async stopAll(): Promise<void> {
    await run(["s6-svscanctl", "-t", this.#scan], this.#opts());
  }

  async teardown(): Promise<void> {
    await this.#daemon.end(
      () => run(["s6-svscanctl", "-t", this.#scan], { ...this.#opts(), timeoutMs: 3000 }),
      3000,
    );
  }

  #svc(i: number): string {
    return `${this.#scan}/${serviceName(i)}`;
  }

  #opts() {
    return { env: this.#env, cwd: this.#dir };
  }
}
