/**
 * Log output against the real daemon when its log directory fails
 * (docs/job-files.md#console-log-when-the-disk-fails): `initctl
 * notify-disk-writeable` writes out a running job's buffered output, and
 * output beyond the 1 MiB buffer is reported in the daemon's log.
 *
 * The log directory is replaced by a plain file: no file can be opened in it,
 * whoever the daemon runs as (a read-only mount is tested in
 * `daemon/supervisor/log_loss_test.ts`).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startTestDaemon, waitFor } from "../helpers/test_daemon.ts";

function readOrNull(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

Deno.test("notify-disk-writeable writes out the buffered output of a running job", async () => {
  await using d = await startTestDaemon({
    "early.conf": "exec sh -c 'echo early; exec sleep 60'\n",
  });
  Deno.removeSync(d.logDir, { recursive: true });
  Deno.writeTextFileSync(d.logDir, "not a directory\n");
  await d.ok("start", "early");
  await new Promise((r) => setTimeout(r, 300));
  Deno.removeSync(d.logDir);
  Deno.mkdirSync(d.logDir);
  await d.ok("notify-disk-writeable");
  // The job prints nothing more: only the notification can have written this.
  await waitFor("early.log", () => readOrNull(join(d.logDir, "early.log")) === "early\n", {
    timeoutMs: 20_000,
  });
  await d.ok("stop", "early");
});

Deno.test("output beyond the buffer is reported in the daemon's log, with job and bytes", async () => {
  // 1 MiB + 1000 bytes, then a pause while the directory is still unusable.
  const big = "head -c 1049576 /dev/zero | tr '\\\\0' x; exec sleep 60";
  await using d = await startTestDaemon({ "big.conf": `exec sh -c "${big}"\n` });
  Deno.removeSync(d.logDir, { recursive: true });
  Deno.writeTextFileSync(d.logDir, "not a directory\n");
  await d.ok("start", "big");
  await d.waitForOutput(/big: \d+ bytes of output dropped/);
  Deno.removeSync(d.logDir);
  Deno.mkdirSync(d.logDir);
  await d.ok("notify-disk-writeable");
  const path = join(d.logDir, "big.log");
  await waitFor("big.log", () => readOrNull(path)?.length === 1024 * 1024, { timeoutMs: 20_000 });
  const reported = [
    ...d.output.matchAll(/big: (\d+) bytes of output dropped: .*: Not a directory/g),
  ]
    .reduce((n, m) => n + Number(m[1]), 0);
  assert.equal(reported, 1000, d.output);
  await d.ok("stop", "big");
});
