import assert from "node:assert/strict";
import { duration, formatDetails, wallTime } from "./status_details.ts";

Deno.test("formatDetails() lines up the facts, then the log's last lines", () => {
  const at = Date.UTC(2026, 11, 3, 7, 38, 46);
  assert.equal(
    formatDetails({
      startedAt: at,
      uptimeMs: 3_723_000,
      startDurationMs: 250,
      respawns: 2,
      lastExit: { process: "main", pid: 42, code: null, signal: 9, at: at + 1000 },
      startEvents: ["started", "net-device-up"],
      logPath: "/var/log/upstart/web.log",
    }, "a\nb"),
    [
      "     Started: 2026-12-03 07:38:46 UTC; up 1h 2min",
      "  Start took: 250ms",
      "  Started by: started net-device-up",
      "    Respawns: 2",
      "   Last exit: main process (42) was killed by SIGKILL at 2026-12-03 07:38:47 UTC",
      "         Log: /var/log/upstart/web.log",
      "",
      "a",
      "b",
      "",
    ].join("\n"),
  );
  assert.equal(
    formatDetails({
      startedAt: null,
      uptimeMs: null,
      startDurationMs: null,
      respawns: 0,
      lastExit: null,
      startEvents: [],
      logPath: null,
    }, null),
    "  Started by: (by hand)\n    Respawns: 0\n         Log: (none)\n",
  );
});

Deno.test("duration() and wallTime() are short and unambiguous", () => {
  assert.deepEqual([850, 4_200, 185_000, 7_380_000, 100_000_000].map(duration), [
    "850ms",
    "4.2s",
    "3min 5s",
    "2h 3min",
    "1d 3h",
  ]);
  assert.equal(wallTime(0), "1970-01-01 00:00:00 UTC");
});
