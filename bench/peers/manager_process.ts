/**
 * The process of a manager the bench launched (supervisord, runsvdir,
 * s6-svscan, daybreak's init): its process tree for PSS, a signal, and a
 * bounded wait for it to end at teardown.
 *
 * @module
 */

import { type ExecOptions, launch, type Launched } from "./exec.ts";
import { within } from "./manager.ts";
import { managerTree, scanProcesses } from "./proc.ts";

/** One launched manager process. */
export class ManagerProcess {
  #proc: Launched | null = null;

  /** Launches the manager in a session of its own. */
  start(argv: readonly string[], options: ExecOptions): void {
    this.#proc = launch(argv, options);
  }

  /** The manager and its helpers (not the services), or none before start. */
  pids(): number[] {
    return this.#proc === null ? [] : managerTree(this.#proc.pid, scanProcesses());
  }

  /** Signals the manager; a manager already gone is not an error. */
  signal(signal: Deno.Signal): void {
    if (this.#proc === null) return;
    try {
      Deno.kill(this.#proc.pid, signal);
    } catch {
      // Already gone.
    }
  }

  /**
   * Ends the manager: runs `stop` (a signal or its own command), then waits
   * at most `timeoutMs` for it to exit. Idempotent.
   */
  async end(stop: () => Promise<unknown> | void, timeoutMs: number): Promise<void> {
    const proc = this.#proc;
    if (proc === null) return;
    try {
      await stop();
    } catch {
      // A failed stop command: the wait below is bounded anyway.
    }
    this.#proc = null;
    await within(proc.status, timeoutMs);
  }
}
