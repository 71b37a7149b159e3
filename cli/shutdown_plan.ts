/**
 * What a pending shutdown says and when, with no side effect (see docs/shutdown.md): the wall
 * messages, the marks at which they are repeated, and the moment `/run/nologin` appears (five
 * minutes before, as sysvinit does, so no new user logs in to a machine about to go down).
 *
 * @module
 */

/** The actions a scheduled shutdown can end with. */
export type PlannedAction = "reboot" | "halt" | "poweroff" | "single" | "warn";

/** Minutes before the time at which the warning is repeated (and every hour above these). */
const MARKS = [60, 30, 15, 10, 5, 4, 3, 2, 1] as const;

/** `/run/nologin` is written this long before the time. */
export const NOLOGIN_BEFORE_MS = 5 * 60_000;

/**
 * The wall text for a shutdown `minutes` away (0: now).
 *
 * @param action what happens
 * @param minutes whole minutes left
 * @param message the user's message, if any
 * @returns the text, ending in a newline
 */
export function warningText(action: PlannedAction, minutes: number, message: string): string {
  const what = {
    reboot: "reboot",
    halt: "halt",
    poweroff: "power off",
    single: "maintenance",
    warn: "maintenance",
  }[action];
  const when = minutes <= 0 ? "NOW" : `in ${minutes} minute${minutes === 1 ? "" : "s"}`;
  return `The system is going down for ${what} ${when}!\n${message === "" ? "" : `${message}\n`}`;
}

/**
 * The next moment, after `remainingMs`, at which to warn again.
 *
 * @param remainingMs milliseconds left
 * @returns milliseconds left at the next mark (0: the shutdown itself)
 */
export function nextMarkMs(remainingMs: number): number {
  const minutesLeft = remainingMs / 60_000;
  if (minutesLeft > 120) return (Math.ceil(minutesLeft / 60) - 1) * 3_600_000;
  for (const mark of MARKS) {
    if (mark < minutesLeft) return mark * 60_000;
  }
  return 0;
}

/**
 * Whether `/run/nologin` should exist now.
 *
 * @param action what happens (a `-k` warning never blocks logins)
 * @param remainingMs milliseconds left
 * @returns true within the last five minutes
 */
export function wantsNologin(action: PlannedAction, remainingMs: number): boolean {
  return action !== "warn" && remainingMs <= NOLOGIN_BEFORE_MS;
}
