/**
 * Signal names accepted by `kill signal`, `reload signal` and `normal exit` (see
 * docs/job-files.md#signal-names), with their numbers on Linux x86_64.
 *
 * @module
 */

/**
 * libnih's table, in its order. Aliases (`IOT`, `CLD`, `POLL`, `UNUSED`) come after the
 * canonical name, so {@linkcode signalName} reports the canonical one. `UNUSED` exists because
 * the glibc Upstart 1.13 was built against still defined `SIGUNUSED` (= `SIGSYS`).
 */
export const SIGNALS: readonly (readonly [name: string, num: number])[] = [
  ["HUP", 1],
  ["INT", 2],
  ["QUIT", 3],
  ["ILL", 4],
  ["TRAP", 5],
  ["ABRT", 6],
  ["IOT", 6],
  ["BUS", 7],
  ["FPE", 8],
  ["KILL", 9],
  ["USR1", 10],
  ["SEGV", 11],
  ["USR2", 12],
  ["PIPE", 13],
  ["ALRM", 14],
  ["TERM", 15],
  ["STKFLT", 16],
  ["CHLD", 17],
  ["CLD", 17],
  ["CONT", 18],
  ["STOP", 19],
  ["TSTP", 20],
  ["TTIN", 21],
  ["TTOU", 22],
  ["URG", 23],
  ["XCPU", 24],
  ["XFSZ", 25],
  ["VTALRM", 26],
  ["PROF", 27],
  ["WINCH", 28],
  ["IO", 29],
  ["POLL", 29],
  ["PWR", 30],
  ["SYS", 31],
  ["UNUSED", 31],
];

const BY_NAME = new Map<string, number>(SIGNALS);
const BY_NUMBER = new Map<number, string>();
for (const [name, num] of SIGNALS) {
  if (!BY_NUMBER.has(num)) BY_NUMBER.set(num, name);
}

/**
 * Looks a signal name up, with or without `SIG`, case-sensitively (like `nih_signal_from_name`).
 * Numbers are not names: `parseSignal("15")` is null.
 *
 * @param token The name as written, e.g. `TERM` or `SIGTERM`.
 * @returns The signal number, or null for an unknown name.
 *
 * @example
 * ```ts
 * import { parseSignal } from "./signals.ts";
 * parseSignal("SIGTERM"); // 15
 * ```
 */
export function parseSignal(token: string): number | null {
  const name = token.startsWith("SIG") ? token.slice(3) : token;
  return BY_NAME.get(name) ?? null;
}

/**
 * The first name in the table for a signal number, without `SIG` (what `EXIT_SIGNAL` shows).
 *
 * @param num A signal number.
 * @returns The name, or null when the number has none.
 *
 * @example
 * ```ts
 * import { signalName } from "./signals.ts";
 * signalName(9); // "KILL"
 * ```
 */
export function signalName(num: number): string | null {
  return BY_NUMBER.get(num) ?? null;
}
