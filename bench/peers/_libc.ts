/**
 * The few libc calls the peer benchmark needs, through the tree's one FFI binding
 * (`sys/libc.ts`, `--allow-ffi`), with the bench's own failure conventions: a `/proc` entry that
 * cannot be read is a process that is gone, so readers return `null` or an empty list instead of
 * throwing.
 *
 * Deno 2.9 refuses `/proc` paths to its own file APIs (and to `node:fs`) unless run with
 * `--allow-all`, so `/proc` is read with open/read/opendir. The bench also makes itself a
 * child subreaper so that every process a manager leaves behind (pm2's daemonised God process,
 * services orphaned by a dying manager) stays a descendant it can find, kill and reap.
 *
 * @module
 */

import {
  LibcError,
  listDir as libcListDir,
  readText as libcReadText,
  setChildSubreaper,
  waitpidNoHang,
} from "../../sys/libc.ts";

/**
 * `prctl(PR_SET_CHILD_SUBREAPER, 1)`: orphaned descendants are re-parented to this process.
 *
 * @throws {LibcError} when prctl fails.
 */
export function becomeSubreaper(): void {
  setChildSubreaper(true);
}

/**
 * `waitpid(pid, &status, WNOHANG)` for one specific pid (never -1: a global wait would steal the
 * exit status of Deno's own children). Returns true when the pid was reaped.
 */
export function reapPid(pid: number): boolean {
  try {
    return waitpidNoHang(pid).pid === pid;
  } catch (e) {
    if (e instanceof LibcError) return false; // not our child (any more)
    throw e;
  }
}

/** A small file's text (a `/proc` entry), or `null` when it cannot be read (process gone). */
export function readText(path: string): string | null {
  return libcReadText(path);
}

/** Names in a directory without `.` and `..`; empty when it cannot be opened. */
export function listDir(path: string): string[] {
  try {
    return libcListDir(path);
  } catch (e) {
    if (e instanceof LibcError) return [];
    throw e;
  }
}
