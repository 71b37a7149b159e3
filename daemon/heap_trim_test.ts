import assert from "node:assert/strict";
import { exposedGc, HeapTrim, type HeapTrimPorts } from "./heap_trim.ts";

/** A manual clock: timers fire when the test advances time past them. */
class FakePorts implements HeapTrimPorts {
  t = 0;
  collected = 0;
  timers: { at: number; fn: () => void }[] = [];

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): void {
    this.timers.push({ at: this.t + ms, fn });
  }

  collect(): void {
    this.collected++;
  }

  advance(ms: number): void {
    const until = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (next === undefined || next.at > until) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = until;
  }
}

Deno.test("HeapTrim collects once, after a burst of spawns has been quiet for quietMs", () => {
  const p = new FakePorts();
  const trim = new HeapTrim(p, { quietMs: 300, minSpawns: 3 });
  for (let i = 0; i < 10; i++) {
    trim.spawned();
    p.advance(100);
  }
  assert.equal(p.collected, 0, "spawns kept coming: no collection yet");
  assert.equal(p.timers.length, 1, "one timer at a time");
  p.advance(199);
  assert.equal(p.collected, 0);
  p.advance(1);
  assert.equal(p.collected, 1);
  assert.equal(trim.collections, 1);
  p.advance(10_000);
  assert.equal(p.collected, 1, "idle: nothing more");
  assert.equal(p.timers.length, 0, "idle: no timer");
});

Deno.test("HeapTrim ignores a few spawns and starts counting afresh after each collection", () => {
  const p = new FakePorts();
  const trim = new HeapTrim(p, { quietMs: 300, minSpawns: 3 });
  trim.spawned();
  trim.spawned();
  p.advance(5_000);
  assert.equal(p.collected, 0, "two spawns are no burst");
  assert.equal(p.timers.length, 0);
  trim.spawned();
  p.advance(300);
  assert.equal(p.collected, 1, "the third makes one");
  trim.spawned();
  p.advance(5_000);
  assert.equal(p.collected, 1, "counting starts again at zero");
});

Deno.test("HeapTrim survives a collection that throws", () => {
  const p = new FakePorts();
  p.collect = () => {
    throw new Error("no");
  };
  const trim = new HeapTrim(p, { quietMs: 10, minSpawns: 1 });
  trim.spawned();
  p.advance(10);
  assert.equal(trim.collections, 1);
  trim.spawned();
  p.advance(10);
  assert.equal(trim.collections, 2);
});

Deno.test("exposedGc() is null unless the runtime exposes gc(), and asks for a compacting one", () => {
  const g = globalThis as { gc?: unknown };
  const saved = g.gc;
  try {
    delete g.gc;
    assert.equal(exposedGc(), null);
    const calls: unknown[] = [];
    g.gc = (options: unknown) => calls.push(options);
    exposedGc()!();
    assert.deepEqual(calls, [{ type: "major", execution: "sync", flavor: "last-resort" }]);
  } finally {
    if (saved === undefined) delete g.gc;
    else g.gc = saved;
  }
});

Deno.test("HeapTrim waits while spawns are still under way", () => {
  const p = new FakePorts();
  let busy = true;
  const trim = new HeapTrim({
    now: () => p.now(),
    setTimer: (ms, fn) => p.setTimer(ms, fn),
    collect: () => p.collect(),
    busy: () => busy,
  }, { quietMs: 300, minSpawns: 3 });
  for (let i = 0; i < 5; i++) trim.spawned();
  p.advance(1_000);
  assert.equal(p.collected, 0, "spawns asked for are still being made");
  p.advance(10_000);
  assert.equal(p.collected, 0, "however long it takes");
  busy = false;
  p.advance(240);
  assert.equal(p.collected, 0, "quiet counts from about the burst's end");
  p.advance(100);
  assert.equal(p.collected, 1, "then once quiet");
  p.advance(10_000);
  assert.equal(p.collected, 1);
});
