/**
 * The real {@linkcode DaemonHost}: this process through libc, its children through the
 * {@linkcode Reaper} and `/proc`, its files through Deno.
 *
 * @module
 */

import type { DaemonHost } from "./ports.ts";
import { closeInheritedFdsOnExec, currentUmask, effectiveIds, getpid, umask } from "../sys/libc.ts";
import { listDescendants } from "../sys/procfs.ts";
import type { Reaper } from "./supervisor/reaper.ts";

/** This process, reaping through `reaper` (the one the spawner shares). */
export class DenoHost implements DaemonHost {
  readonly pid: number = getpid();
  readonly euid: number = effectiveIds().euid;
  readonly #reaper: Reaper;

  constructor(reaper: Reaper) {
    this.#reaper = reaper;
  }

  umask(): number {
    return currentUmask();
  }

  withUmask<T>(mask: number, fn: () => T): T {
    const old = umask(mask);
    try {
      return fn();
    } finally {
      umask(old);
    }
  }

  closeInheritedFdsOnExec(): void {
    closeInheritedFdsOnExec();
  }

  startReaping(): void {
    // The control socket keeps the daemon's event loop alive: no timer before the first job.
    this.#reaper.start({ idleKeepAlive: false });
  }

  reapNow(): void {
    this.#reaper.scan();
  }

  stopReaping(): void {
    this.#reaper.stop();
  }

  descendants(): number[] {
    return listDescendants();
  }

  // On the JS thread, before the first job: small calls that cost less than waking one of
  // Deno's blocking threads (and the asynchronous writeTextFile loads Deno's streams, see
  // docs/platform.md#start-up-costs).
  ensureDir(path: string, mode: number): Promise<void> {
    try {
      Deno.mkdirSync(path, { recursive: true, mode });
    } catch {
      // as before: a directory that cannot be made shows up in what needs it
    }
    return Promise.resolve();
  }

  writeTextFile(path: string, text: string): Promise<void> {
    try {
      Deno.writeTextFileSync(path, text);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async removeFile(path: string): Promise<void> {
    await Deno.remove(path).catch(() => {});
  }
}
