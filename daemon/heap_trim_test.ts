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

  spawnsPending?: () => number;

  heapUsed?: () => number;

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

Deno.test("HeapTrim waits while the spawner still has spawns queued, then for quietMs more", () => {
  const p = new FakePorts();
  let pending = 100;
  p.spawnsPending = () => pending;
  const trim = new HeapTrim(p, { quietMs: 300, minSpawns: 3 });
  for (let i = 0; i < 100; i++) trim.spawned(); // the engine asked for all of them at once
  p.advance(5_000);
  assert.equal(p.collected, 0, "the burst goes on in the spawner: no collection");
  assert.equal(p.timers.length, 1, "one timer at a time");
  pending = 0; // the last spawn was made (looked at every 50 ms)
  p.advance(240);
  assert.equal(p.collected, 0, "quiet counts from about the burst's end");
  p.advance(100);
  assert.equal(p.collected, 1);
  p.advance(10_000);
  assert.equal(p.collected, 1, "idle: nothing more");
  assert.equal(p.timers.length, 0, "idle: no timer");
});

Deno.test("HeapTrim collects after answered requests only once they grew the heap enough", () => {
  const p = new FakePorts();
  let heap = 10 << 20;
  p.heapUsed = () => heap;
  p.collect = () => {
    p.collected++;
    heap = 11 << 20; // what the collection leaves
  };
  const trim = new HeapTrim(p, { quietMs: 300, minSpawns: 50, minGrowthBytes: 8 << 20 });
  for (let i = 0; i < 5; i++) {
    trim.answered();
    heap += 1 << 20;
    p.advance(1_000);
  }
  assert.equal(p.collected, 0, "5 MiB of growth: not enough");
  assert.equal(p.timers.length, 0, "no timer once it found so");
  for (let i = 0; i < 10; i++) {
    trim.answered();
    heap += 1 << 20;
    p.advance(100);
  }
  assert.equal(p.collected, 0, "requests keep coming: no collection yet");
  p.advance(300);
  assert.equal(p.collected, 1, "quiet, and 15 MiB of growth");
  heap += 5 << 20;
  trim.answered();
  p.advance(1_000);
  assert.equal(p.collected, 1, "growth counts from what the collection left (11 MiB)");
  heap += 3 << 20;
  trim.answered();
  p.advance(1_000);
  assert.equal(p.collected, 2);
});

Deno.test("HeapTrim: requests never hold back the collection after a burst of spawns", () => {
  const p = new FakePorts();
  p.heapUsed = () => 0;
  const trim = new HeapTrim(p, { quietMs: 300, minSpawns: 3 });
  for (let i = 0; i < 3; i++) trim.spawned();
  for (let i = 0; i < 10; i++) {
    trim.answered(); // a client polling all the time
    p.advance(50);
  }
  assert.equal(p.collected, 1, "300 ms after the last spawn, polling or not");
});

Deno.test("HeapTrim takes a heapUsed port that throws for an empty heap", () => {
  const p = new FakePorts();
  p.heapUsed = () => {
    throw new Error("no /proc");
  };
  const trim = new HeapTrim(p, { quietMs: 300, minSpawns: 3 });
  trim.answered();
  p.advance(1_000);
  assert.equal(p.collected, 0, "no growth seen");
  for (let i = 0; i < 3; i++) trim.spawned();
  p.advance(300);
  assert.equal(p.collected, 1, "a burst is collected all the same");
});

Deno.test("HeapTrim ignores answered requests without a heapUsed port", () => {
  const p = new FakePorts();
  const trim = new HeapTrim(p, { quietMs: 300, minSpawns: 3, minGrowthBytes: 0 });
  trim.answered();
  assert.equal(p.timers.length, 0);
  p.advance(1_000);
  assert.equal(p.collected, 0);
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
