/**
 * What `/etc/init.d/rc N` runs, as Debian's sysv-rc does it in its
 * sequential mode (see docs/sysv.md#rc): pure, over a read-only view of the
 * file system.
 *
 * 1. Nothing when `/etc/rcN.d` does not exist.
 * 2. With a previous level (`PREVLEVEL` not `N`): each `K??name` link, in
 *    lexical order, is run with `stop`, unless the previous level has a
 *    `K??name` and no `S??name` (the service was not running).
 * 3. Each `S??name` link, in lexical order, is run with `stop` for levels 0
 *    and 6 and `start` otherwise, unless, with a previous level: for
 *    `start`, the previous level has `S??name` and this level no `K??name`
 *    (already running); for `stop`, the previous level has `K??name` and no
 *    `S??name` (already stopped).
 * 4. Links that do not lead to a regular file (dangling) are skipped.
 *
 * @module
 */

/** The read-only file system the plan is made from; tests pass a fake. */
export interface RcFs {
  /** The names in a directory, or null when it does not exist. */
  list(dir: string): readonly string[] | null;
  /** Whether a path leads (through symlinks) to a regular file, like `test -f`. */
  isFile(path: string): boolean;
}

/** One script to run. */
export interface RcStep {
  /** The link's path, e.g. `/etc/rc2.d/S01cron`. */
  readonly path: string;
  /** The service's name, the link name without `K`/`S` and the two digits. */
  readonly name: string;
  readonly action: "start" | "stop";
}

/** A link name Debian's rc considers: `K` or `S`, two digits, a name. */
const LINK = /^([KS])(\d\d)(.+)$/;

/**
 * The directory of a runlevel.
 *
 * @param etc the configuration root (normally `/etc`)
 * @param level `0`–`6` or `S`
 * @returns e.g. `/etc/rc2.d`
 */
export function rcDir(etc: string, level: string): string {
  return `${etc}/rc${level}.d`;
}

interface Links {
  readonly dir: string;
  /** Links by kind, in lexical order, only those leading to a regular file. */
  readonly kill: { file: string; suffix: string }[];
  readonly start: { file: string; suffix: string }[];
}

function links(fs: RcFs, dir: string): Links | null {
  const names = fs.list(dir);
  if (names === null) return null;
  const out: Links = { dir, kill: [], start: [] };
  for (const file of [...names].sort(byteOrder)) {
    const m = LINK.exec(file);
    if (m === null || !fs.isFile(`${dir}/${file}`)) continue;
    (m[1] === "K" ? out.kill : out.start).push({ file, suffix: m[3] as string });
  }
  return out;
}

/** The shell's glob order in the C locale: by bytes. */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function has(list: readonly { suffix: string }[], suffix: string): boolean {
  return list.some((l) => l.suffix === suffix);
}

/**
 * The scripts `rc RUNLEVEL` runs, in order.
 *
 * @param fs the file system
 * @param runlevel the new level, `0`–`6` or `S`
 * @param previous the previous level, `N` for none
 * @param etc the configuration root
 * @returns the steps, in order
 */
export function rcPlan(fs: RcFs, runlevel: string, previous: string, etc = "/etc"): RcStep[] {
  const here = links(fs, rcDir(etc, runlevel));
  if (here === null) return [];
  const hasPrevious = previous !== "N" && previous !== "";
  const before = hasPrevious ? links(fs, rcDir(etc, previous)) : null;
  const prevKill = before?.kill ?? [];
  const prevStart = before?.start ?? [];
  const notRunningBefore = (suffix: string) => has(prevKill, suffix) && !has(prevStart, suffix);
  const steps: RcStep[] = [];
  const step = (file: string, name: string, action: RcStep["action"]) =>
    steps.push({ path: `${here.dir}/${file}`, name, action });

  if (hasPrevious) {
    for (const { file, suffix } of here.kill) {
      if (!notRunningBefore(suffix)) step(file, suffix, "stop");
    }
  }
  const action = runlevel === "0" || runlevel === "6" ? "stop" : "start";
  for (const { file, suffix } of here.start) {
    if (hasPrevious) {
      if (action === "start" && has(prevStart, suffix) && !has(here.kill, suffix)) continue;
      if (action === "stop" && notRunningBefore(suffix)) continue;
    }
    step(file, suffix, action);
  }
  return steps;
}
