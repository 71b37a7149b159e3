/**
 * Issue 14, item 11: a job in a respawn loop added 1.4 MB of daemon log every 30 s. Similar
 * lines (differing only in numbers) are now limited per kind, and one line says how many were
 * suppressed when the window ends.
 */
import assert from "node:assert/strict";
import { startTestDaemon } from "../helpers/test_daemon.ts";

Deno.test("a respawn loop cannot flood the daemon log", async () => {
  await using d = await startTestDaemon(
    { "loop.conf": "respawn\nrespawn limit unlimited\nexec sh -c 'exit 1'\n" },
    { args: ["--debug"] },
  );
  await d.initctl("start", "--no-wait", "loop");
  // Let it loop (hundreds of cycles a second), then stop it.
  await new Promise((r) => setTimeout(r, 3000));
  await d.initctl("stop", "loop");
  // Unlimited, three seconds of this loop wrote about 300 KB and 8,000 lines.
  const lines = d.output.split("\n").filter((l) => l.includes("loop"));
  assert.ok(lines.length < 400, `${lines.length} lines`);
  assert.ok(d.output.length < 40_000, `${d.output.length} bytes`);
  await d.waitForOutput(
    /init: \d+ similar messages suppressed \(last: loop main process ended, respawning\)/,
    {
      timeoutMs: 15_000,
    },
  );
  // Each kind of line has its own window, which began when its first line came: this one's
  // summary can come a timer turn after the other's.
  await d.waitForOutput(
    /\d+ similar messages suppressed \(last: loop state changed from running to stopping\)/,
    { timeoutMs: 15_000 },
  );
});
