/**
 * A fake {@linkcode DaemonHost}: a pid and uid of the test's choosing, a umask held in memory,
 * directories and files recorded in memory, and no children unless the test adds some.
 *
 * @module
 */

import type { DaemonHost } from "../../daemon/ports.ts";

/** Options of {@linkcode FakeHost}. */
export interface FakeHostOptions {
  readonly pid?: number;
  readonly euid?: number;
  readonly umask?: number;
  /** `startReaping` throws, as when prctl(PR_SET_CHILD_SUBREAPER) is refused. */
  readonly subreaperFails?: boolean;
}

/**
 * The fake host.
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeHost } from "./fake_host.ts";
 * const host = new FakeHost({ umask: 0o022 });
 * assert.equal(host.withUmask(0o177, () => host.umask()), 0o177);
 * assert.equal(host.umask(), 0o022);
 * ```
 */
export class FakeHost implements DaemonHost {
  readonly pid: number;
  readonly euid: number;
  #umask: number;
  readonly #subreaperFails: boolean;
  /** `reaping`, `stopped` or `idle`. */
  reaping: "idle" | "reaping" | "stopped" = "idle";
  /** Live descendants the daemon would find in /proc. */
  descendantPids: number[] = [];
  readonly dirs = new Map<string, number>();
  readonly files = new Map<string, string>();
  /** Every mask `withUmask` set, in order (the real one makes the socket file's mode). */
  readonly umasksUsed: number[] = [];

  constructor(options: FakeHostOptions = {}) {
    this.pid = options.pid ?? 4242;
    this.euid = options.euid ?? 1000;
    this.#umask = options.umask ?? 0o002;
    this.#subreaperFails = options.subreaperFails ?? false;
  }

  umask(): number {
    return this.#umask;
  }

  withUmask<T>(mask: number, fn: () => T): T {
    const old = this.#umask;
    this.umasksUsed.push(mask);
    this.#umask = mask;
    try {
      return fn();
    } finally {
      this.#umask = old;
    }
  }

  closeInheritedFdsOnExec(): void {}

  startReaping(): void {
    this.reaping = "reaping";
    if (this.#subreaperFails) throw new Error("prctl() failed: Operation not permitted");
  }

  reapNow(): void {}

  stopReaping(): void {
    this.reaping = "stopped";
  }

  descendants(): number[] {
    return [...this.descendantPids];
  }

  ensureDir(path: string, mode: number): Promise<void> {
    if (!this.dirs.has(path)) this.dirs.set(path, mode);
    return Promise.resolve();
  }

  writeTextFile(path: string, text: string): Promise<void> {
    this.files.set(path, text);
    return Promise.resolve();
  }

  removeFile(path: string): Promise<void> {
    this.files.delete(path);
    return Promise.resolve();
  }
}
