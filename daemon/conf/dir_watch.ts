/**
 * Watches one configuration directory for its whole life, including the times it does not exist
 * (see docs/behaviour.md#confdir-watching): a directory that is there is watched recursively; one
 * that is missing is watched for through its nearest existing ancestor (one level, not
 * recursively) until it appears. A watch on a directory that was removed is dead (a watch made on
 * a re-created directory while the old one is open sees nothing either), so when the directory
 * itself is removed, renamed or replaced its watch is closed, and made again once the old one is
 * gone.
 *
 * @module
 */

import type { ConfFileSystem } from "../ports.ts";

/** The part of the file-system port a {@linkcode DirWatch} uses. */
export interface WatchableFs {
  readDir: ConfFileSystem["readDir"];
  dirExists?: ConfFileSystem["dirExists"];
  watch: NonNullable<ConfFileSystem["watch"]>;
}

/** What a {@linkcode DirWatch} reports to. */
export interface DirWatchTarget {
  /** Paths changed inside the directory (its own path included when it appears or goes). */
  changed(paths: readonly string[]): void;
  log(priority: "info" | "message" | "warn", message: string): void;
}

/** The parent of an absolute path (`/` is its own parent). */
export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** Keeps one configuration directory watched, present or not. */
export class DirWatch {
  readonly #fs: WatchableFs;
  readonly #path: string;
  readonly #target: DirWatchTarget;
  #stop: (() => void | Promise<void>) | null = null;
  /** The directory being watched: the confdir itself, or an ancestor, or none. */
  #watching: string | null = null;
  /** Whether the confdir existed at the last check (null before the first). */
  #present: boolean | null = null;
  #checks: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(
    fs: WatchableFs,
    path: string,
    target: DirWatchTarget,
  ) {
    this.#fs = fs;
    this.#path = path;
    this.#target = target;
  }

  /** The directory watched now (for tests and `check-config`). */
  get watching(): string | null {
    return this.#watching;
  }

  /** Starts watching; resolves once the first watch is in place. */
  start(): Promise<void> {
    return this.#recheck(false);
  }

  /** Stops watching. */
  close(): void {
    this.#closed = true;
    void this.#unwatch();
  }

  /**
   * Re-examines the directory, serialised; with `force`, the watch on a present directory is
   * made again even if it seemed fine (its inode may have changed).
   */
  #recheck(force: boolean): Promise<void> {
    this.#checks = this.#checks.then(() => this.#check(force)).catch((e) =>
      this.#target.log("warn", `${this.#path}: Unable to watch configuration directory: ${e}`)
    );
    return this.#checks;
  }

  async #check(force: boolean): Promise<void> {
    if (this.#closed) return;
    const exists = await this.#exists(this.#path);
    if (this.#closed) return;
    if (exists) {
      if (this.#present === true && this.#watching === this.#path && !force) return;
      await this.#unwatch();
      if (this.#closed) return;
      const stop = this.#fs.watch(this.#path, (paths) => this.#onDirChange(paths));
      if (stop !== null) {
        this.#stop = stop;
        this.#watching = this.#path;
        const was = this.#present;
        this.#present = true;
        if (was === false) {
          this.#target.log("message", `${this.#path}: configuration directory appeared`);
        }
        // Appeared or replaced: what changed in it before this watch was seen by none.
        if (was === false || force) this.#target.changed([this.#path]);
        return;
      }
      // Gone between the check and the watch: watch for it as missing.
    }
    const was = this.#present;
    this.#present = false;
    const ancestor = await this.#nearestAncestor();
    if (this.#closed) return;
    if (was === true) {
      this.#target.log(
        "warn",
        `${this.#path}: configuration directory disappeared; watching ${ancestor} until it exists`,
      );
      this.#target.changed([this.#path]);
    } else if (was === null) {
      this.#target.log(
        "info",
        `${this.#path}: configuration directory does not exist; watching ${ancestor} until it does`,
      );
    }
    if (this.#watching === ancestor && !force) return;
    await this.#unwatch();
    if (this.#closed) return;
    // The ancestor itself removed or replaced: its watch is dead too.
    const onAncestor = (paths: readonly string[]) => void this.#recheck(paths.includes(ancestor));
    const stop = this.#fs.watch(ancestor, onAncestor, { recursive: false });
    if (stop === null) {
      // The ancestor went too: look again from the top (`/` cannot go).
      if (ancestor !== "/") void this.#recheck(false);
      return;
    }
    this.#stop = stop;
    this.#watching = ancestor;
    // What appeared between the look and the watch was not seen by it: look once more.
    if (await this.#exists(this.#path) || (await this.#nearestAncestor()) !== ancestor) {
      void this.#recheck(false);
    }
  }

  #onDirChange(paths: readonly string[]): void {
    // The directory itself removed, renamed or replaced: its watch is dead; make a new one.
    if (paths.includes(this.#path)) void this.#recheck(true);
    this.#target.changed(paths);
  }

  async #exists(path: string): Promise<boolean> {
    try {
      // Without listing it when the port can tell (a confdir may hold hundreds of files).
      if (this.#fs.dirExists !== undefined) return await this.#fs.dirExists(path);
      return (await this.#fs.readDir(path)) !== null;
    } catch {
      // Unreadable but there (permissions): the loader reports it; watch it as present.
      return true;
    }
  }

  async #nearestAncestor(): Promise<string> {
    let dir = parentOf(this.#path);
    while (dir !== "/" && !(await this.#exists(dir))) dir = parentOf(dir);
    return dir;
  }

  /** Stops the current watch; resolves once it is gone (a new one made sooner sees nothing). */
  async #unwatch(): Promise<void> {
    const stop = this.#stop;
    this.#stop = null;
    this.#watching = null;
    try {
      await stop?.();
    } catch { /* closed already */ }
  }
}
