/**
 * The floor: `floor.c`, compiled at run time with the machine's gcc into the
 * session directory. It fork+execs the N services, respawns any that exits,
 * and on SIGTERM kills and reaps them all. It has no status command, so only
 * cold start (processes), memory, respawn (process) and stop are measured.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { baseEnv, launch, type Launched, run, runOk } from "./exec.ts";
import { commandsPresent, type Manager, within } from "./manager.ts";
import { managerTree, scanProcesses } from "./proc.ts";

/** Where the C source lives (next to this module). */
export const FLOOR_SOURCE: string = fileURLToPath(new URL("./floor.c", import.meta.url));

/** The floor adapter. */
export class Floor implements Manager {
  readonly name = "floor (C)";
  readonly notes = {
    start: "`floor N` (fork+exec of N `sleep 100000`, built with `gcc -O2`)",
    stop: "SIGTERM to floor (it SIGTERMs every child and reaps them)",
    other: "no status command: cold start counts processes only; memory is the one C process",
  };
  #dir = "";
  #n = 0;
  #env: Record<string, string> = {};
  #proc: Launched | null = null;

  async version(): Promise<string | null> {
    const r = await run(["gcc", "-dumpfullversion"], { env: baseEnv("/") }).catch(() => null);
    return r === null || r.code !== 0 ? null : `gcc ${r.stdout.trim()}`;
  }

  available(): Promise<true | string> {
    return commandsPresent(["gcc"]);
  }

  async setup(dir: string, n: number): Promise<void> {
    this.#dir = dir;
    this.#n = n;
    this.#env = baseEnv(dir);
    await runOk(["gcc", "-O2", "-o", `${dir}/floor`, FLOOR_SOURCE], { env: this.#env, cwd: dir });
  }

  start(): Promise<void> {
    this.#proc = launch([`${this.#dir}/floor`, String(this.#n)], {
      env: this.#env,
      cwd: this.#dir,
    });
    return Promise.resolve();
  }

  managerPids(): Promise<number[]> {
    if (this.#proc === null) return Promise.resolve([]);
    return Promise.resolve(managerTree(this.#proc.pid, scanProcesses()));
  }

  stopAll(): Promise<void> {
    if (this.#proc !== null) Deno.kill(this.#proc.pid, "SIGTERM");
    return Promise.resolve();
  }

  async teardown(): Promise<void> {
    const p = this.#proc;
    this.#proc = null;
    if (p === null) return;
    try {
      Deno.kill(p.pid, "SIGTERM");
    } catch {
      // Already gone.
    }
    await within(p.status, 3000);
  }
}
