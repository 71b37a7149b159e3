/**
 * glibc's `struct utmp` on x86_64 (384 bytes; utmp(5)): pure encoding and
 * decoding, plus the runlevel record `telinit` writes and `runlevel` reads
 * (see docs/sysv.md#utmp). No I/O here: `compat_sysv/utmp_file.ts` reads and
 * writes the files.
 *
 * Layout (offsets in bytes, little-endian):
 *
 * | field | offset | size |
 * |---|---|---|
 * | ut_type (short) + padding | 0 | 4 |
 * | ut_pid | 4 | 4 |
 * | ut_line | 8 | 32 |
 * | ut_id | 40 | 4 |
 * | ut_user | 44 | 32 |
 * | ut_host | 76 | 256 |
 * | ut_exit (two shorts) | 332 | 4 |
 * | ut_session | 336 | 4 |
 * | ut_tv (two int32) | 340 | 8 |
 * | ut_addr_v6 | 348 | 16 |
 * | reserved | 364 | 20 |
 *
 * @module
 */

/** Size of one record. */
export const UTMP_SIZE = 384;

/** `ut_type` values (utmp(5)). */
export const UT_TYPE = {
  EMPTY: 0,
  RUN_LVL: 1,
  BOOT_TIME: 2,
  NEW_TIME: 3,
  OLD_TIME: 4,
  INIT_PROCESS: 5,
  LOGIN_PROCESS: 6,
  USER_PROCESS: 7,
  DEAD_PROCESS: 8,
  ACCOUNTING: 9,
} as const;

/** One decoded record. Strings are the fields up to their first NUL. */
export interface UtmpRecord {
  readonly type: number;
  readonly pid: number;
  readonly line: string;
  readonly id: string;
  readonly user: string;
  readonly host: string;
  readonly exitTermination: number;
  readonly exitStatus: number;
  readonly session: number;
  readonly tvSec: number;
  readonly tvUsec: number;
  /** Four 32-bit words, as stored. */
  readonly addrV6: readonly [number, number, number, number];
}

const FIELDS = {
  type: 0,
  pid: 4,
  line: [8, 32],
  id: [40, 4],
  user: [44, 32],
  host: [76, 256],
  exitTermination: 332,
  exitStatus: 334,
  session: 336,
  tvSec: 340,
  tvUsec: 344,
  addrV6: 348,
} as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A record with every field zero or empty, to spread over. */
export const EMPTY_RECORD: UtmpRecord = {
  type: UT_TYPE.EMPTY,
  pid: 0,
  line: "",
  id: "",
  user: "",
  host: "",
  exitTermination: 0,
  exitStatus: 0,
  session: 0,
  tvSec: 0,
  tvUsec: 0,
  addrV6: [0, 0, 0, 0],
};

function putString(out: Uint8Array, [at, size]: readonly [number, number], text: string): void {
  // Like strncpy: truncated to the field, NUL-padded, not necessarily NUL-terminated.
  out.set(encoder.encode(text).subarray(0, size), at);
}

function getString(bytes: Uint8Array, [at, size]: readonly [number, number]): string {
  const field = bytes.subarray(at, at + size);
  const nul = field.indexOf(0);
  return decoder.decode(nul < 0 ? field : field.subarray(0, nul));
}

/**
 * Encodes one record.
 *
 * @param record the record
 * @returns its 384 bytes
 */
export function encodeUtmp(record: UtmpRecord): Uint8Array {
  const out = new Uint8Array(UTMP_SIZE);
  const view = new DataView(out.buffer);
  view.setInt16(FIELDS.type, record.type, true);
  view.setInt32(FIELDS.pid, record.pid, true);
  putString(out, FIELDS.line, record.line);
  putString(out, FIELDS.id, record.id);
  putString(out, FIELDS.user, record.user);
  putString(out, FIELDS.host, record.host);
  view.setInt16(FIELDS.exitTermination, record.exitTermination, true);
  view.setInt16(FIELDS.exitStatus, record.exitStatus, true);
  view.setInt32(FIELDS.session, record.session, true);
  view.setInt32(FIELDS.tvSec, record.tvSec, true);
  view.setInt32(FIELDS.tvUsec, record.tvUsec, true);
  record.addrV6.forEach((word, i) => view.setInt32(FIELDS.addrV6 + 4 * i, word, true));
  return out;
}

/**
 * Decodes the record at `offset`.
 *
 * @param bytes a utmp or wtmp file's bytes
 * @param offset where the record starts
 * @returns the record
 * @throws {RangeError} when fewer than 384 bytes remain
 */
export function decodeUtmp(bytes: Uint8Array, offset = 0): UtmpRecord {
  if (bytes.length - offset < UTMP_SIZE) {
    throw new RangeError(`utmp record at ${offset} is truncated`);
  }
  const rec = bytes.subarray(offset, offset + UTMP_SIZE);
  const view = new DataView(rec.buffer, rec.byteOffset, UTMP_SIZE);
  const word = (i: number) => view.getInt32(FIELDS.addrV6 + 4 * i, true);
  return {
    type: view.getInt16(FIELDS.type, true),
    pid: view.getInt32(FIELDS.pid, true),
    line: getString(rec, FIELDS.line),
    id: getString(rec, FIELDS.id),
    user: getString(rec, FIELDS.user),
    host: getString(rec, FIELDS.host),
    exitTermination: view.getInt16(FIELDS.exitTermination, true),
    exitStatus: view.getInt16(FIELDS.exitStatus, true),
    session: view.getInt32(FIELDS.session, true),
    tvSec: view.getInt32(FIELDS.tvSec, true),
    tvUsec: view.getInt32(FIELDS.tvUsec, true),
    addrV6: [word(0), word(1), word(2), word(3)],
  };
}

/**
 * Decodes every whole record of a file; a truncated tail is ignored, as glibc does.
 *
 * @param bytes the file's bytes
 * @returns its records in file order
 */
export function decodeAll(bytes: Uint8Array): UtmpRecord[] {
  const out: UtmpRecord[] = [];
  for (let at = 0; at + UTMP_SIZE <= bytes.length; at += UTMP_SIZE) {
    out.push(decodeUtmp(bytes, at));
  }
  return out;
}

/** A runlevel character: `0`–`6` or `S`; `N` means none. */
export type RunlevelChar = string;

/**
 * The `RUN_LVL` record for a change from `previous` to `runlevel`, as
 * sysvinit and Upstart write it: `ut_pid` = new level + 256 × previous level
 * (both characters, `N` for none), user `runlevel`, line `~`, id `~~`, host
 * the kernel release (what `last -x` shows).
 *
 * @param runlevel the new level's character
 * @param previous the previous level's character, `N` for none
 * @param when the time of the change, in milliseconds since the epoch
 * @param kernelRelease `uname -r`
 * @returns the record
 */
export function runlevelRecord(
  runlevel: RunlevelChar,
  previous: RunlevelChar,
  when: number,
  kernelRelease: string,
): UtmpRecord {
  return {
    ...stamped(when, kernelRelease),
    type: UT_TYPE.RUN_LVL,
    pid: runlevel.charCodeAt(0) + 256 * (previous || "N").charCodeAt(0),
    user: "runlevel",
  };
}

function stamped(when: number, kernelRelease: string): UtmpRecord {
  return {
    ...EMPTY_RECORD,
    line: "~",
    id: "~~",
    host: kernelRelease,
    tvSec: Math.floor(when / 1000),
    tvUsec: (when % 1000) * 1000,
  };
}

/**
 * The `BOOT_TIME` record (user `reboot`, line `~`, id `~~`) that `last`
 * shows as `reboot   system boot`.
 *
 * @param when the time, in milliseconds since the epoch
 * @param kernelRelease `uname -r`
 * @returns the record
 */
export function bootRecord(when: number, kernelRelease: string): UtmpRecord {
  return { ...stamped(when, kernelRelease), type: UT_TYPE.BOOT_TIME, user: "reboot" };
}

/**
 * The record sysvinit's `halt` appends to wtmp just before reboot(2): `RUN_LVL`, user
 * `shutdown`, line and id `~~`, pid 0 (what `last -x` shows as `shutdown system down`). Its user
 * is not `runlevel`, so it is never read as a runlevel.
 *
 * @param when the time, in milliseconds since the epoch
 * @param kernelRelease `uname -r`
 * @returns the record
 */
export function shutdownRecord(when: number, kernelRelease: string): UtmpRecord {
  return { ...stamped(when, kernelRelease), type: UT_TYPE.RUN_LVL, line: "~~", user: "shutdown" };
}

/**
 * The levels a `RUN_LVL` record holds (a previous level of 0 is read as `N`,
 * as some writers store it).
 *
 * @param record a record of type `RUN_LVL`
 * @returns the current level and the previous one (`N` for none)
 */
export function runlevelOf(record: UtmpRecord): { runlevel: string; previous: string } {
  const cur = record.pid & 0xff;
  const prev = (record.pid >> 8) & 0xff;
  return {
    runlevel: cur === 0 ? "N" : String.fromCharCode(cur),
    previous: prev === 0 ? "N" : String.fromCharCode(prev),
  };
}

/**
 * The last `RUN_LVL` record of a file, if any. Only records of user `runlevel` count: the
 * `shutdown` record halt writes is of the same type.
 *
 * @param records a file's records
 * @returns the levels of its last runlevel record, or null
 */
export function latestRunlevel(
  records: readonly UtmpRecord[],
): { runlevel: string; previous: string } | null {
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i] as UtmpRecord;
    if (r.type === UT_TYPE.RUN_LVL && r.user === "runlevel") return runlevelOf(r);
  }
  return null;
}

/**
 * Where `pututline` would store a record of `type` in a utmp file: over the
 * first record of that type for the types glibc matches by type (RUN_LVL,
 * BOOT_TIME, NEW_TIME, OLD_TIME), else at the end.
 *
 * @param records the file's records
 * @param type the new record's type
 * @returns the record index to write at
 */
export function utmpSlot(records: readonly UtmpRecord[], type: number): number {
  const byType: readonly number[] = [
    UT_TYPE.RUN_LVL,
    UT_TYPE.BOOT_TIME,
    UT_TYPE.NEW_TIME,
    UT_TYPE.OLD_TIME,
  ];
  if (byType.includes(type)) {
    const at = records.findIndex((r) => r.type === type);
    if (at >= 0) return at;
  }
  return records.length;
}
