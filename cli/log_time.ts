/**
 * `initctl log --since TIME --until TIME`: parsing the times and keeping the
 * lines stamped within them (logs written under `init --log-timestamps`,
 * see docs/seeing.md#logs). Pure.
 *
 * @module
 */

/** A leading timestamp as the daemon writes it (`2026-12-03T07:38:46.123Z `). */
const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) /;

const UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * A time given to `--since`/`--until`: `now`, `today`, `-30s`/`-5min`/`-2h`/`-1d`
 * (before now), `@EPOCH_SECONDS`, or an ISO 8601 date or date-time (UTC when it
 * names no zone; `YYYY-MM-DD HH:MM[:SS]` accepted too).
 *
 * @param text the argument
 * @param now the current time, ms since the epoch
 * @returns ms since the epoch, or null when the text is none of those
 */
export function parseLogTime(text: string, now: number): number | null {
  const t = text.trim();
  if (t === "now") return now;
  if (t === "today") return now - (now % 86_400_000);
  const rel = /^-(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h|d)$/.exec(t);
  if (rel !== null) return now - Number(rel[1]) * (UNITS[rel[2] as string] as number);
  const epoch = /^@(\d+(?:\.\d+)?)$/.exec(t);
  if (epoch !== null) return Number(epoch[1]) * 1000;
  const m = /^(\d{4}-\d\d-\d\d)(?:[T ](\d\d:\d\d(?::\d\d(?:\.\d+)?)?))?(Z|[+-]\d\d:\d\d)?$/.exec(t);
  if (m === null) return null;
  const ms = Date.parse(`${m[1]}T${m[2] ?? "00:00:00"}${m[3] ?? "Z"}`);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * The lines stamped at or after `since` and before `until`. A line without a
 * stamp (written before `--log-timestamps`, or the rest of a long line) goes
 * with the stamped line before it; unstamped lines at the top are dropped.
 *
 * @param text the log text
 * @param since ms since the epoch, or null for no lower bound
 * @param until ms since the epoch, or null for no upper bound
 * @returns the kept lines, each ending in a newline
 */
export function filterLogLines(text: string, since: number | null, until: number | null): string[] {
  const out: string[] = [];
  let keep = false;
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  for (const line of lines) {
    const m = STAMP.exec(line);
    if (m !== null) {
      const t = Date.parse(m[1] as string);
      keep = (since === null || t >= since) && (until === null || t < until);
    }
    if (keep) out.push(`${line}\n`);
  }
  return out;
}
