/**
 * An in-memory {@linkcode ConfFileSystem}: file paths map to their text; directories exist when
 * some file lies under them.
 *
 * @module
 */

import type { ConfDirEntry, ConfFileSystem } from "../../daemon/ports.ts";

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
  readonly #watchers = new Map<string, (paths: readonly string[]) => void>();

  constructor(readonly files: Record<string, string> = {}) {}

  /** Directories being watched. */
  get watched(): string[] {
    return [...this.#watchers.keys()];
  }

  /** Sets (or, with `null`, deletes) a file and tells the watchers of its directories. */
  change(path: string, text: string | null): void {
    if (text === null) delete this.files[path];
    else this.files[path] = text;
    for (const [dir, onChange] of this.#watchers) {
      if (path.startsWith(`${dir}/`)) onChange([path]);
    }
  }

  watch(path: string, onChange: (paths: readonly string[]) => void): (() => void) | null {
    if (!Object.keys(this.files).some((f) => f.startsWith(`${path}/`))) return null;
    this.#watchers.set(path, onChange);
    return () => this.#watchers.delete(path);
  }

  readDir(path: string): Promise<ConfDirEntry[] | null> {
    const prefix = path.endsWith("/") ? path : `${path}/`;
    const names = new Map<string, boolean>();
    for (const f of Object.keys(this.files)) {
      if (!f.startsWith(prefix)) continue;
      const rest = f.slice(prefix.length);
      const slash = rest.indexOf("/");
      names.set(slash < 0 ? rest : rest.slice(0, slash), slash >= 0);
    }
    if (names.size === 0) return Promise.resolve(null);
    return Promise.resolve(
      [...names].map(([name, isDirectory]) => ({ name, isFile: !isDirectory, isDirectory })),
    );
  }

  readTextFile(path: string): Promise<string | null> {
    return Promise.resolve(this.files[path] ?? null);
  }
}
