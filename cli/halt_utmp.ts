/**
 * The two utmp facts the shutdown tools need: the current runlevel (the last RUN_LVL record of
 * /run/utmp) and the `shutdown` record appended to /var/log/wtmp before reboot(2), which `last -x`
 * shows. The record layout is glibc's x86-64 `struct utmp` (384 bytes).
 *
 * @module
 */

/** glibc's `sizeof(struct utmp)` on x86-64. */
export const UTMP_RECORD_SIZE = 384;
/** `ut_type` of a runlevel change (and of the shutdown record). */
const RUN_LVL = 1;

const OFFSET = {
  type: 0,
  pid: 4,
  line: 8,
  id: 40,
  user: 44,
  seconds: 340,
  micros: 344,
} as const;

/** The default files. */
export const UTMP_FILE = "/run/utmp";
export const WTMP_FILE = "/var/log/wtmp";

/** A runlevel and the one before it, as characters (`N` when unknown). */
export interface Runlevel {
  readonly runlevel: string;
  readonly previous: string;
}

/**
 * Finds the last runlevel record in utmp data.
 *
 * @param data the bytes of a utmp file
 * @returns the runlevel, or `null` when there is no record
 */
export function lastRunlevel(data: Uint8Array): Runlevel | null {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let found: Runlevel | null = null;
  for (let at = 0; at + UTMP_RECORD_SIZE <= data.length; at += UTMP_RECORD_SIZE) {
    if (view.getInt16(at + OFFSET.type, true) !== RUN_LVL) continue;
    const pid = view.getInt32(at + OFFSET.pid, true);
    const user = new TextDecoder().decode(data.subarray(at + OFFSET.user, at + OFFSET.user + 8));
    if (!user.startsWith("runlevel")) continue;
    const level = pid & 0xff, prev = (pid >> 8) & 0xff;
    found = {
      runlevel: level === 0 ? "N" : String.fromCharCode(level),
      previous: prev === 0 ? "N" : String.fromCharCode(prev),
    };
  }
  return found;
}

/**
 * Reads the current runlevel from a utmp file.
 *
 * @param path the file
 * @returns the runlevel, `N` for each part when the file or record is missing
 */
export async function readRunlevel(path: string = UTMP_FILE): Promise<Runlevel> {
  const data = await Deno.readFile(path).catch(() => new Uint8Array());
  return lastRunlevel(data) ?? { runlevel: "N", previous: "N" };
}

/**
 * Encodes the record sysvinit's halt writes before reboot(2): RUN_LVL, user `shutdown`, line
 * and id `~~`.
 *
 * @param now the record's time
 * @returns one utmp record
 */
export function shutdownRecord(now: Date): Uint8Array {
  const data = new Uint8Array(UTMP_RECORD_SIZE);
  const view = new DataView(data.buffer);
  const text = new TextEncoder();
  view.setInt16(OFFSET.type, RUN_LVL, true);
  data.set(text.encode("~~"), OFFSET.line);
  data.set(text.encode("~~"), OFFSET.id);
  data.set(text.encode("shutdown"), OFFSET.user);
  const ms = now.getTime();
  view.setInt32(OFFSET.seconds, Math.floor(ms / 1000), true);
  view.setInt32(OFFSET.micros, (ms % 1000) * 1000, true);
  return data;
}

/**
 * Appends the shutdown record to wtmp, when the file exists (sysvinit never creates it).
 *
 * @param now the record's time
 * @param path the file
 * @returns whether a record was written
 */
export async function writeShutdownRecord(
  now: Date,
  path: string = WTMP_FILE,
): Promise<boolean> {
  try {
    using file = await Deno.open(path, { append: true });
    await file.write(shutdownRecord(now));
    return true;
  } catch {
    return false;
  }
}
