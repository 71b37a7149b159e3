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
  /** Stores `record` in utmp (replacing the previous runlevel record) and appends it to wtmp. */
  write(utmpPath: string, wtmpPath: string, record: UtmpRecord): Promise<void>;
}

async function writeUtmp(path: string, record: UtmpRecord): Promise<void> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  try {
    const bytes = await Deno.readFile(path);
    const slot = utmpSlot(decodeAll(bytes), record.type);
    await file.seek(slot * UTMP_SIZE, Deno.SeekMode.Start);
    let data = encodeUtmp(record);
    while (data.length > 0) data = data.subarray(await file.write(data));
  } finally {
    file.close();
  }
}

async function appendWtmp(path: string, record: UtmpRecord): Promise<void> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { append: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  try {
    // A torn record from an earlier crash would shift every later one: start on a boundary.
    const { size } = await file.stat();
    const tail = size % UTMP_SIZE;
    let data = encodeUtmp(record);
    if (tail !== 0) data = new Uint8Array([...new Uint8Array(UTMP_SIZE - tail), ...data]);
    while (data.length > 0) data = data.subarray(await file.write(data));
  } finally {
    file.close();
  }
}

/** The real files. */
export const fileRunlevelStore: RunlevelStore = {
  async read(path) {
    return latestRunlevel(decodeAll(await Deno.readFile(path)));
  },
  async write(utmpPath, wtmpPath, record) {
    await writeUtmp(utmpPath, record);
    await appendWtmp(wtmpPath, record);
  },
};
