/**
 * An in-memory {@linkcode ConfFileSystem}: file paths map to their text; directories exist when
 * some file lies under them (`/` always exists). Watches behave as the kernel's do: a recursive
 * watch sees every change below its directory, a one-level watch sees its own entries come and
 * go, and a watch on a directory that disappears reports the directory itself, then is dead (it
 * never reports again, even if the directory is re-created).
 *
 * @module
 */

import type { ConfDirEntry, ConfFileSystem } from "../../daemon/ports.ts";

interface FakeWatch {
  readonly path: string;
  readonly recursive: boolean;
  readonly onChange: (paths: readonly string[]) => void;
}

const under = (dir: string) => (dir === "/" ? "/" : `${dir}/`);

/**
 * The in-memory tree.
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryConfFs } from "./memory_conf_fs.ts";
 * const fs = new MemoryConfFs({ "/etc/init/a.conf": "exec a" });
 * assert.deepEqual(await fs.readDir("/etc/init"), [{ name: "a.conf", isFile: true, isDirectory: false }]);
 * ```
 */
export class MemoryConfFs implements ConfFileSystem {
  #watches: FakeWatch[] = [];

  /**
   * @param files the tree: each file's path and text
   * @param unreadable files whose reads fail (as without permission)
   */
  constructor(
    readonly files: Record<string, string> = {},
    readonly unreadable: ReadonlySet<string> = new Set(),
  ) {}

  /** Directories being watched (live watches only). */
  get watched(): string[] {
    return this.#watches.map((w) => w.path);
  }

  /** Whether a directory exists. */
  exists(dir: string): boolean {
    return dir === "/" || Object.keys(this.files).some((f) => f.startsWith(under(dir)));
  }

  /** Sets (or, with `null`, deletes) a file and tells the watchers. */
  change(path: string, text: string | null): void {
    this.#mutate([path], () => {
      if (text === null) delete this.files[path];
      else this.files[path] = text;
    });
  }

  /** Removes a directory and everything under it. */
  removeTree(dir: string): void {
    const gone = Object.keys(this.files).filter((f) => f.startsWith(under(dir)));
    this.#mutate([dir], () => {
      for (const f of gone) delete this.files[f];
    });
  }

  #mutate(paths: string[], apply: () => void): void {
    const before = new Map(this.#watches.map((w) => [w, this.exists(w.path)]));
    apply();
    for (const w of [...this.#watches]) {
      if (before.get(w) === true && !this.exists(w.path)) {
        // The watched directory went: report it, and the watch is dead from now on.
        this.#watches = this.#watches.filter((x) => x !== w);
        w.onChange([w.path]);
        continue;
      }
      const seen = paths.flatMap((p) => {
        if (!p.startsWith(under(w.path))) return [];
        if (w.recursive) return [p];
        const rest = p.slice(under(w.path).length);
        return [`${under(w.path)}${rest.split("/")[0]}`];
      });
      if (seen.length > 0) w.onChange(seen);
    }
  }

  watch(
    path: string,
    onChange: (paths: readonly string[]) => void,
    options: { readonly recursive?: boolean } = {},
  ): (() => void) | null {
    if (!this.exists(path)) return null;
    const w: FakeWatch = { path, recursive: options.recursive ?? true, onChange };
    this.#watches.push(w);
    return () => {
      this.#watches = this.#watches.filter((x) => x !== w);
    };
  }

  readDir(path: string): Promise<ConfDirEntry[] | null> {
    const prefix = under(path);
    const names = new Map<string, boolean>();
    for (const f of Object.keys(this.files)) {
      if (!f.startsWith(prefix)) continue;
      const rest = f.slice(prefix.length);
      const slash = rest.indexOf("/");
      names.set(slash < 0 ? rest : rest.slice(0, slash), slash >= 0);
    }
    if (names.size === 0) return Promise.resolve(path === "/" ? [] : null);
    return Promise.resolve(
      [...names].map(([name, isDirectory]) => ({ name, isFile: !isDirectory, isDirectory })),
    );
  }

  readTextFile(path: string): Promise<string | null> {
    if (this.unreadable.has(path)) return Promise.reject(new Error("Permission denied"));
    return Promise.resolve(this.files[path] ?? null);
  }
}
