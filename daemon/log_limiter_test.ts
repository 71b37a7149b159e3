// Issue 14, item 11: a job in a respawn loop added 1.4 MB of daemon log every 30 s. Similar
// lines are now limited per kind, and what was suppressed is always said.
import assert from "node:assert/strict";
import { DaemonLog } from "./log.ts";
import { type LimiterTimers, LogLimiter } from "./log_limiter.ts";
import type { LogPriority } from "./options.ts";

/** A clock the test moves, with timers that fire when it passes them. */
class FakeTimers implements LimiterTimers {
  t = 0;
  #due: { at: number; fn: () => void; live: boolean }[] = [];
  now(): number {
    return this.t;
  }
  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.t + ms, fn, live: true };
    this.#due.push(timer);
    return () => (timer.live = false);
  }
  advance(ms: number): void {
    this.t += ms;
    for (const timer of this.#due.filter((x) => x.live && x.at <= this.t)) {
      timer.live = false;
      timer.fn();
    }
  }
}

function setup(burst = 3, windowMs = 1000) {
  const timers = new FakeTimers();
  const out: [LogPriority, string][] = [];
  const limiter = new LogLimiter((p, m) => out.push([p, m]), { burst, windowMs, timers });
  return { timers, out, limiter };
}

Deno.test("similar lines beyond the burst are counted and reported when the window ends", () => {
  const { timers, out, limiter } = setup();
  for (let pid = 100; pid < 110; pid++) limiter.log("warn", `web main process (${pid}) ended`);
  limiter.log("warn", "db main process (5) ended");
  assert.deepEqual(out.map(([, m]) => m), [
    "web main process (100) ended",
    "web main process (101) ended",
    "web main process (102) ended",
    "db main process (5) ended",
  ]);
  timers.advance(1000);
  assert.deepEqual(out.at(-1), [
    "warn",
    "7 similar messages suppressed (last: web main process (109) ended)",
  ]);
  // A new window has its own burst.
  limiter.log("warn", "web main process (200) ended");
  assert.equal(out.at(-1)?.[1], "web main process (200) ended");
  assert.equal(out.length, 6);
});

Deno.test("a respawn loop writes a bounded number of lines per window", () => {
  const { timers, out, limiter } = setup(10, 10_000);
  const kinds = ["main process (#) ended, respawning", "state changed from running to stopping"];
  // 30 s of a loop at 300 cycles a second.
  for (let ms = 0; ms < 30_000; ms += 10) {
    for (const k of kinds) limiter.log("warn", `loop ${k.replace("#", String(ms))}`);
    timers.advance(10);
  }
  limiter.flush();
  // Per kind and window: 10 lines and one summary.
  assert.ok(out.length <= kinds.length * 3 * 11 + kinds.length, String(out.length));
  const suppressed = out.filter(([, m]) => / similar messages suppressed /.test(m))
    .reduce((n, [, m]) => n + Number(m.split(" ")[0]), 0);
  assert.equal(suppressed + out.filter(([, m]) => m.startsWith("loop ")).length, 2 * 3000);
});

Deno.test("the limiter tracks a bounded number of kinds and says what it forgets", () => {
  const { out, limiter } = setup(1, 1000);
  const bounded = new LogLimiter((p, m) => out.push([p, m]), { burst: 1, maxKinds: 2 });
  bounded.log("info", "a");
  bounded.log("info", "a");
  bounded.log("info", "b");
  bounded.log("info", "c");
  assert.deepEqual(out.map(([, m]) => m), [
    "a",
    "b",
    "1 similar message suppressed (last: a)",
    "c",
  ]);
  limiter.flush();
});

Deno.test("DaemonLog writes through the limiter and flushes on demand", () => {
  const lines: string[] = [];
  const log = new DaemonLog({
    user: false,
    priority: "info",
    writer: { stdout: (l) => lines.push(l), stderr: (l) => lines.push(l) },
    limit: { burst: 2 },
  });
  for (let i = 0; i < 5; i++) log.log("warn", `x main process (${i}) ended, respawning`);
  log.flush();
  assert.deepEqual(lines, [
    "init: x main process (0) ended, respawning\n",
    "init: x main process (1) ended, respawning\n",
    "init: 3 similar messages suppressed (last: x main process (4) ended, respawning)\n",
  ]);
});

Deno.test("DaemonLog.wants() follows the minimum priority as log() does", () => {
  const lines: string[] = [];
  const log = new DaemonLog({
    user: false,
    priority: "message",
    writer: { stdout: (l) => lines.push(l), stderr: (l) => lines.push(l) },
  });
  assert.deepEqual([log.wants("info"), log.wants("message"), log.wants("warn")], [
    false,
    true,
    true,
  ]);
  log.log("info", "dropped");
  log.priority = "debug";
  assert.equal(log.wants("debug"), true);
  log.log("debug", "kept");
  assert.deepEqual(lines, ["init: kept\n"]);
});
