/**
 * Compiled `seccomp` filters as files bwrap can read (docs/job-files.md#seccomp). A filter is
 * compiled once per distinct deny-list and kept for the daemon's life in a private directory
 * (mode 0700), so a respawning job costs no recompilation; the directory is re-created if
 * something removed it, and removed when the daemon exits.
 *
 * @module
 */

import type { SeccompSpec } from "../parser/types.ts";
import { closeFd, O_CLOEXEC, O_CREAT, O_EXCL, O_WRONLY, openFd } from "../sys/libc.ts";
import { exportDenyFilter, SeccompError } from "../sys/seccomp.ts";
import { seccompDenyList } from "./seccomp.ts";
import { SpawnError } from "./spawn_error.ts";

/** One daemon's compiled filters. */
export class SeccompFilters {
  readonly #files = new Map<string, string>();
  #dir: string | null = null;
  #count = 0;

  /**
   * The path of the filter for `spec`, compiled on first use.
   *
   * @throws {SpawnError} `unable to sandbox: unknown system call NAME`, or libseccomp missing.
   */
  file(spec: SeccompSpec): string {
    const deny = seccompDenyList(spec);
    const key = deny.join(",");
    const known = this.#files.get(key);
    if (known !== undefined && exists(known)) return known;
    const path = `${this.#directory()}/${this.#count++}.bpf`;
    const fd = openFd(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600);
    try {
      exportDenyFilter(deny, fd);
    } catch (e) {
      if (e instanceof SeccompError) {
        throw new SpawnError(`unable to sandbox: ${e.message}`, { cause: e });
      }
      throw e;
    } finally {
      closeFd(fd);
    }
    this.#files.set(key, path);
    return path;
  }

  /** Removes the compiled filters (at daemon exit; running jobs already read theirs). */
  dispose(): void {
    try {
      if (this.#dir !== null) Deno.removeSync(this.#dir, { recursive: true });
    } catch {
      // already gone
    }
    this.#dir = null;
    this.#files.clear();
  }

  #directory(): string {
    if (this.#dir === null || !exists(this.#dir)) {
      if (this.#dir === null) globalThis.addEventListener("unload", () => this.dispose());
      this.#dir = Deno.makeTempDirSync({ prefix: "daybreak-seccomp-" });
      this.#files.clear();
    }
    return this.#dir;
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
