/**
 * Reading and writing the runlevel record in utmp and wtmp files (see
 * docs/sysv.md#utmp). Like sysvinit, a file that does not exist is left
 * alone: the boot scripts create utmp, and wtmp's absence means the
 * administrator does not want one.
 *
 * @module
 */

import {
  decodeAll,
  encodeUtmp,
  latestRunlevel,
  shutdownRecord as shutdownUtmpRecord,
  UTMP_SIZE,
  type UtmpRecord,
  utmpSlot,
} from "../sys/utmp.ts";

/** The system's files (glibc's `_PATH_UTMP` and `_PATH_WTMP`). */
export const UTMP_PATH = "/run/utmp";
/** See {@linkcode UTMP_PATH}. */
export const WTMP_PATH = "/var/log/wtmp";

/** The two levels of a runlevel record; `N` for none. */
export interface Runlevels {
  readonly runlevel: string;
  readonly previous: string;
}

/** Where telinit and runlevel keep the runlevel; tests pass a fake. */
export interface RunlevelStore {
  /**
   * The latest runlevel record of a utmp file.
   *
   * @throws {Deno.errors.NotFound} and other file errors when it cannot be read
   */
  read(path: string): Promise<Runlevels | null>;
  /**
   * Records a change of runlevel: in utmp (replacing its runlevel record)
   * and at the end of wtmp. A file whose latest runlevel is not
   * `change.previous` missed a reboot: it gets `change.boot` first.
   */
  write(utmpPath: string, wtmpPath: string, change: RunlevelChange): Promise<void>;
}

/** What {@linkcode RunlevelStore.write} records. */
export interface RunlevelChange {
  /** The `RUN_LVL` record. */
  readonly record: UtmpRecord;
  /** The `BOOT_TIME` record written first when a file missed a reboot. */
  readonly boot: UtmpRecord;
  /** The previous level the change starts from, `N` for none. */
  readonly previous: string;
}

/**
 * The records to add to a file holding `records` for `change`.
 *
 * @param records the file's records
 * @param change the change
 * @returns the boot record (when the file missed a reboot), then the runlevel record
 */
export function recordsFor(records: readonly UtmpRecord[], change: RunlevelChange): UtmpRecord[] {
  const saved = latestRunlevel(records)?.runlevel ?? null;
  return saved === change.previous ? [change.record] : [change.boot, change.record];
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let data = bytes;
  while (data.length > 0) data = data.subarray(await file.write(data));
}

async function readIfExists(path: string): Promise<Uint8Array | null> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

async function writeUtmp(path: string, change: RunlevelChange): Promise<void> {
  const bytes = await readIfExists(path);
  if (bytes === null) return;
  const records = decodeAll(bytes);
  const file = await Deno.open(path, { write: true });
  try {
    for (const record of recordsFor(records, change)) {
      // pututline's rule: over the record of the same type, else at the end.
      const slot = utmpSlot(records, record.type);
      await file.seek(slot * UTMP_SIZE, Deno.SeekMode.Start);
      await writeAll(file, encodeUtmp(record));
      records[slot] = record;
    }
  } finally {
    file.close();
  }
}

async function appendWtmp(path: string, change: RunlevelChange): Promise<void> {
  const bytes = await readIfExists(path);
  if (bytes === null) return;
  const file = await Deno.open(path, { append: true });
  try {
    // A torn record from an earlier crash would shift every later one: start on a boundary.
    const tail = bytes.length % UTMP_SIZE;
    if (tail !== 0) await writeAll(file, new Uint8Array(UTMP_SIZE - tail));
    for (const record of recordsFor(decodeAll(bytes), change)) {
      await writeAll(file, encodeUtmp(record));
    }
  } finally {
    file.close();
  }
}

/** The real files. */
export const fileRunlevelStore: RunlevelStore = {
  async read(path) {
    return lastRunlevel(await Deno.readFile(path));
  },
  async write(utmpPath, wtmpPath, change) {
    await writeUtmp(utmpPath, change);
    await appendWtmp(wtmpPath, change);
  },
};

/**
 * Creates an empty utmp file when there is none, as sysvinit's init does at boot: telinit and
 * shutdown record runlevels only in an existing file, and `/run` is a fresh tmpfs at every boot
 * (see docs/sysv.md#utmp). An existing file is left as it is.
 *
 * @param path the utmp file
 * @returns whether the file was created
 * @throws {Error} when it is missing and cannot be created
 */
export function createUtmpIfMissing(path: string = UTMP_PATH): boolean {
  try {
    Deno.openSync(path, { write: true, createNew: true, mode: 0o644 }).close();
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    throw e;
  }
}

/**
 * The levels of the last runlevel record in a utmp file's bytes.
 *
 * @param data the bytes
 * @returns the levels, or null when there is no runlevel record
 */
export function lastRunlevel(data: Uint8Array): Runlevels | null {
  return latestRunlevel(decodeAll(data));
}

/**
 * The current runlevel for the shutdown tools: `N` for each level when the file or its record is
 * missing (they go on regardless).
 *
 * @param path the utmp file
 * @returns the levels
 */
export async function readRunlevels(path: string = UTMP_PATH): Promise<Runlevels> {
  const data = await Deno.readFile(path).catch(() => new Uint8Array());
  return lastRunlevel(data) ?? { runlevel: "N", previous: "N" };
}

/**
 * The encoded `shutdown` record halt appends to wtmp before reboot(2) (see
 * {@linkcode shutdownUtmpRecord}).
 *
 * @param now the record's time
 * @param kernelRelease `uname -r`, for the host field
 * @returns its 384 bytes
 */
export function shutdownRecord(now: Date, kernelRelease = ""): Uint8Array {
  return encodeUtmp(shutdownUtmpRecord(now.getTime(), kernelRelease));
}

/**
 * Appends the `shutdown` record to wtmp, when the file exists (sysvinit never creates it).
 *
 * @param now the record's time
 * @param kernelRelease `uname -r`
 * @param path the wtmp file
 * @returns whether a record was written
 */
export async function writeShutdownRecord(
  now: Date,
  kernelRelease: string,
  path: string = WTMP_PATH,
): Promise<boolean> {
  try {
    const bytes = await readIfExists(path);
    if (bytes === null) return false;
    using file = await Deno.open(path, { append: true });
    const tail = bytes.length % UTMP_SIZE;
    if (tail !== 0) await writeAll(file, new Uint8Array(UTMP_SIZE - tail));
    await writeAll(file, shutdownRecord(now, kernelRelease));
    return true;
  } catch {
    return false;
  }
}
