import assert from "node:assert/strict";
import { filterLogLines, parseLogTime } from "./log_time.ts";

const NOW = Date.UTC(2026, 11, 3, 12, 30, 0);

Deno.test("parseLogTime() takes relative, epoch and ISO times", () => {
  assert.equal(parseLogTime("now", NOW), NOW);
  assert.equal(parseLogTime("today", NOW), Date.UTC(2026, 11, 3));
  assert.equal(parseLogTime("-90s", NOW), NOW - 90_000);
  assert.equal(parseLogTime("-5min", NOW), NOW - 300_000);
  assert.equal(parseLogTime("-2h", NOW), NOW - 7_200_000);
  assert.equal(parseLogTime("-1d", NOW), NOW - 86_400_000);
  assert.equal(parseLogTime("@1700000000", NOW), 1_700_000_000_000);
  assert.equal(parseLogTime("2026-12-03", NOW), Date.UTC(2026, 11, 3));
  assert.equal(parseLogTime("2026-12-03 07:38", NOW), Date.UTC(2026, 11, 3, 7, 38));
  assert.equal(parseLogTime("2026-12-03T07:38:46.5Z", NOW), Date.UTC(2026, 11, 3, 7, 38, 46, 500));
  assert.equal(parseLogTime("2026-12-03T08:38:46+01:00", NOW), Date.UTC(2026, 11, 3, 7, 38, 46));
  for (const bad of ["yesterday", "-5 parsecs", "2026-13-45", "12:00", ""]) {
    assert.equal(parseLogTime(bad, NOW), null, bad);
  }
});

Deno.test("filterLogLines() keeps stamped lines in range with their continuations", () => {
  const log = [
    "old unstamped line",
    "2026-12-03T07:00:00.000Z first",
    "2026-12-03T08:00:00.000Z second",
    "  continued",
    "2026-12-03T09:00:00.000Z third",
    "",
  ].join("\n");
  const at = (h: number) => Date.UTC(2026, 11, 3, h);
  assert.deepEqual(filterLogLines(log, at(8), null), [
    "2026-12-03T08:00:00.000Z second\n",
    "  continued\n",
    "2026-12-03T09:00:00.000Z third\n",
  ]);
  assert.deepEqual(filterLogLines(log, null, at(8)), ["2026-12-03T07:00:00.000Z first\n"]);
  assert.deepEqual(filterLogLines(log, at(10), null), []);
});
