/**
 * Decoding the status word `waitpid(2)` fills in (`WIFEXITED`/`WEXITSTATUS`/`WTERMSIG` of
 * `<sys/wait.h>`, written out because FFI has no macros).
 *
 * Pure: no I/O.
 *
 * @module
 */

/** How a process ended: an exit status, or the number of the signal that killed it. */
export type ExitStatus = { readonly code: number } | { readonly signal: number };

/** Decodes a raw `wait` status word; `null` for a stopped/continued report. */
export function decodeWaitStatus(raw: number): ExitStatus | null {
  const low = raw & 0x7f;
  if (low === 0) return { code: (raw >> 8) & 0xff };
  if (low !== 0x7f) return { signal: low };
  return null;
}
