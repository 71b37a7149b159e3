import { listDir } from "../../sys/libc.ts";
import { readStatus } from "../../sys/procfs.ts";

/**
 * The figures every stress run prints, and what the daemon's process looks like from `/proc`.
 *
 * @module
 */

/** What one stress run reports. */
export interface StressFigures {
  /** Inputs tried (operations, requests, files...). */
  readonly inputs: number;
  /** Inputs that failed unexpectedly. */
  readonly failures: number;
  /** Bytes or items lost without being reported. */
  readonly lost: number;
  readonly daemonAlive: boolean;
  /** Resident memory of the daemon before and after, in kB (null when unknown). */
  readonly rssBeforeKb: number | null;
  readonly rssAfterKb: number | null;
  /** Anything else worth printing. */
  readonly extra?: Readonly<Record<string, string | number>>;
}

/** Prints one line of figures (on stderr, so test reporters keep stdout clean). */
export function reportFigures(name: string, f: StressFigures): string {
  const extra = Object.entries(f.extra ?? {}).map(([k, v]) => ` ${k}=${v}`).join("");
  const line = `[stress] ${name}: inputs=${f.inputs} failures=${f.failures} lost=${f.lost} ` +
    `daemon-alive=${f.daemonAlive} memory=${f.rssBeforeKb ?? "?"}→${
      f.rssAfterKb ?? "?"
    } kB${extra}`;
  Deno.stderr.writeSync(new TextEncoder().encode(`${line}\n`));
  return line;
}

/** The resident set of a process in kB, or null when it is gone. */
export function rssKb(pid: number): number | null {
  // `/proc` is read through libc: Deno's own file APIs refuse it without --allow-all.
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readStatus(pid) ?? "");
  return m === null ? null : Number(m[1]);
}

/** How many descriptors a process has open, or null when it is gone. */
export function fdCount(pid: number): number | null {
  if (readStatus(pid) === null) return null;
  return listDir(`/proc/${pid}/fd`).length;
}
