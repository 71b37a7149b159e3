/**
 * Keeps the engine's job classes in step with the configuration sources
 * (see docs/configuration.md#reload): loads them, watches the directories through the file-system
 * port, debounces bursts of changes, and re-scans everything on each change (a
 * re-scan is cheap and never misses a rename). A broken file is reported and
 * the others keep working.
 *
 * @module
 */

import { type ConfFileSystem, type ConfLoadProblem, loadConfiguration } from "./conf_loader.ts";
import type { ConfSource } from "./conf_sources.ts";
import { DirWatch } from "./dir_watch.ts";
import type { JobClassSpec } from "../../parser/types.ts";

/** What the watcher does with a freshly loaded configuration. */
export interface ConfTarget {
  /** Replaces the set of job classes (the engine keeps running instances on old definitions). */
  apply(jobs: JobClassSpec[]): void;
  /** Reports problems of this load (each broken file once per load). */
  report(problems: readonly ConfLoadProblem[]): void;
  log(priority: "info" | "message" | "warn", message: string): void;
}

/** Loads, watches and reloads the configuration. */
export class ConfWatcher {
  readonly #fs: ConfFileSystem;
  readonly #sources: readonly ConfSource[];
  readonly #target: ConfTarget;
  readonly #debounceMs: number;
  #dirs: DirWatch[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #loading: Promise<void> = Promise.resolve();
  #problems: ConfLoadProblem[] = [];
  #closed = false;

  constructor(
    fs: ConfFileSystem,
    sources: readonly ConfSource[],
    target: ConfTarget,
    options: { debounceMs?: number } = {},
  ) {
    this.#fs = fs;
    this.#sources = sources;
    this.#target = target;
    this.#debounceMs = options.debounceMs ?? 50;
  }

  /** Problems of the last load (for `initctl check-config`). */
  get problems(): readonly ConfLoadProblem[] {
    return this.#problems;
  }

  /** Re-reads every source and applies the result; concurrent calls are serialised. */
  reload(): Promise<void> {
    this.#loading = this.#loading.then(() => this.#load()).catch((e) =>
      this.#target.log("warn", `Reloading configuration failed: ${String(e)}`)
    );
    return this.#loading;
  }

  async #load(): Promise<void> {
    if (this.#closed) return;
    this.#target.log("info", "Reloading configuration");
    const loaded = await loadConfiguration(this.#fs, this.#sources);
    this.#problems = loaded.problems;
    this.#target.report(loaded.problems);
    this.#target.apply([...loaded.jobs.values()]);
  }

  /**
   * Watches every source directory, present or not (see docs/behaviour.md#confdir-watching):
   * changes, and a directory appearing or going, trigger a debounced reload. Resolves once
   * every watch is in place.
   */
  watch(): Promise<void> {
    const fs = this.#fs;
    if (fs.watch === undefined) return Promise.resolve();
    const watchable = {
      readDir: (p: string) => fs.readDir(p),
      ...(fs.dirExists === undefined ? {} : { dirExists: (p: string) => fs.dirExists!(p) }),
      watch: fs.watch.bind(fs),
    };
    const started: Promise<void>[] = [];
    for (const source of this.#sources) {
      if (source.kind !== "dir") continue;
      const w = new DirWatch(watchable, source.path, {
        changed: (paths) => {
          if (paths.some(relevant)) this.#schedule();
        },
        log: (p, m) => this.#target.log(p, m),
      });
      this.#dirs.push(w);
      started.push(w.start());
    }
    return Promise.all(started).then(() => {});
  }

  /** What each source directory's watch is on now: itself, or the ancestor it waits in. */
  get watching(): (string | null)[] {
    return this.#dirs.map((d) => d.watching);
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.reload(), this.#debounceMs);
  }

  /** Stops watching. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const d of this.#dirs) d.close();
    this.#dirs = [];
  }
}

/** A change can matter if it touches a job file, an override, or a directory (no extension). */
function relevant(path: string): boolean {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return base.endsWith(".conf") || base.endsWith(".override") || !base.includes(".");
}
