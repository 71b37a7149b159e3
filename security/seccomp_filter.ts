/**
 * Compiled `seccomp` filters where bwrap can read them (docs/job-files.md#seccomp). A filter is
 * compiled once per distinct deny-list into an anonymous in-memory file (`memfd_create`) the
 * daemon keeps open for its life, so a respawning job costs no recompilation, nothing is written
 * to disk (the daemon may write only its socket and log directories), and nothing is left behind
 * when it exits. The job's wrapper opens it as `/proc/DAEMON/fd/N`.
 *
 * @module
 */

import type { SeccompSpec } from "../parser/types.ts";
import { closeFd, getpid, memfdCreate } from "../sys/libc.ts";
import { exportDenyFilter, SeccompError } from "../sys/seccomp.ts";
import { seccompDenyList } from "./seccomp.ts";
import { SpawnError } from "./spawn_error.ts";

/** One daemon's compiled filters. */
export class SeccompFilters {
  readonly #fds = new Map<string, number>();

  /**
   * A path through which the filter for `spec` can be opened, compiled on first use.
   *
   * @throws {SpawnError} `unable to sandbox: unknown system call NAME`, or libseccomp missing.
   */
  file(spec: SeccompSpec): string {
    const deny = seccompDenyList(spec);
    const key = deny.join(",");
    let fd = this.#fds.get(key);
    if (fd === undefined) {
      fd = memfdCreate("daybreak-seccomp");
      try {
        exportDenyFilter(deny, fd);
      } catch (e) {
        closeFd(fd);
        if (e instanceof SeccompError) {
          throw new SpawnError(`unable to sandbox: ${e.message}`, { cause: e });
        }
        throw e;
      }
      this.#fds.set(key, fd);
    }
    return `/proc/${getpid()}/fd/${fd}`;
  }

  /** Closes the compiled filters (running jobs already read theirs). */
  dispose(): void {
    for (const fd of this.#fds.values()) closeFd(fd);
    this.#fds.clear();
  }
}
