/**
 * The error a spawn fails with before the job's program runs. It lives below the daemon because
 * the security checks and the command wrapping raise it; `daemon/ports.ts` re-exports it as part
 * of the `ProcessSpawner` port.
 *
 * @module
 */

/**
 * A spawn that failed before the program ran. `reason` is Upstart's text, logged as
 * `Failed to spawn JOB PROCESS process: REASON` (see docs/job-files.md#process-setup).
 */
export class SpawnError extends Error {
  /** e.g. `unable to execute: No such file or directory`, `unable to find setuid user`. */
  readonly reason: string;

  constructor(reason: string, options?: ErrorOptions) {
    super(reason, options);
    this.name = "SpawnError";
    this.reason = reason;
  }
}
