import assert from "node:assert/strict";
import { Engine } from "./engine.ts";
import { extendLineage, LINEAGE_MAX, LoopGuard } from "./loop_guard.ts";
import { jobs } from "../../tests/fakes/engine_harness.ts";
import type { Effect } from "./types.ts";

const warnings = (effects: Effect[]) =>
  effects.flatMap((e) => e.type === "log" && e.level === "warn" ? [e.message] : []);

Deno.test("LoopGuard holds a job past the limit within the window, and lets it go after the hold", () => {
  const guard = new LoopGuard({ starts: 3, windowMs: 1000, holdMs: 4000 });
  assert.deepEqual([0, 400, 1300, 1350].map((t) => guard.selfStart("a", t).kind), [
    "ok",
    "ok",
    "ok",
    "ok",
  ], "starts that fall out of the window are not counted");
  assert.deepEqual(guard.selfStart("a", 1390), { kind: "tripped", starts: 4 });
  assert.equal(guard.selfStart("b", 1500).kind, "ok", "counts are per job");
  assert.equal(guard.selfStart("a", 5389).kind, "held");
  assert.ok(guard.isHeld("a", 5389));
  assert.equal(guard.selfStart("a", 5390).kind, "ok");
});

Deno.test("extendLineage() deduplicates, shares unchanged arrays and keeps the newest names", () => {
  const base = ["a", "b"];
  assert.equal(extendLineage(base, ["a"]), base);
  assert.deepEqual(extendLineage(base, ["c", "b", "c"]), ["a", "b", "c"]);
  const long = extendLineage([], Array.from({ length: LINEAGE_MAX + 5 }, (_, i) => `j${i}`));
  assert.equal(long.length, LINEAGE_MAX);
  assert.equal(long.at(-1), `j${LINEAGE_MAX + 4}`);
});

Deno.test("Engine: an abstract job that starts itself on its own events is throttled within one call", () => {
  // Without protection this emit never returns: every `started loopy` starts a new instance.
  const engine = new Engine({ loopLimit: { starts: 10, windowMs: 5000, holdMs: 10_000 } });
  engine.setClasses(jobs({
    loopy: "start on go or started JOB=loopy\ninstance i${INSTANCE:-}\n",
  }));
  engine.setNow(1000);
  const effects = engine.emit("go", []);
  const starts = effects.filter((e) => e.type === "eventEmitted" && e.name === "started");
  assert.equal(
    starts.length,
    11,
    "the first start, then ten self-caused ones; the eleventh is held",
  );
  const [warning, ...more] = warnings(effects);
  assert.match(
    warning ?? "",
    /^loopy started by its own events 11 times within 5s \(event loop, last on started JOB=loopy INSTANCE=i+\): ignoring its start events for 10s$/,
  );
  assert.deepEqual(more, [], "the hold is logged once");
  assert.equal(engine.list().length, 11);
  // While held, another round is refused at once, quietly.
  engine.setNow(2000);
  const again = engine.emit("go", []);
  assert.equal(again.filter((e) => e.type === "eventEmitted" && e.name === "started").length, 0);
  assert.deepEqual(warnings(again), []);
});

Deno.test("Engine: a job started by other jobs' events, however often, is never held", () => {
  const engine = new Engine({ loopLimit: { starts: 2, windowMs: 5000, holdMs: 10_000 } });
  engine.setClasses(jobs({
    bridge: "start on started JOB!=bridge\ninstance $JOB\n",
    ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`j${i}`, "start on go\n"])),
  }));
  const effects = engine.emit("go", []);
  assert.deepEqual(warnings(effects), []);
  assert.equal(engine.instancesOf("bridge").length, 20);
});

Deno.test("Engine: a call that runs out of its event budget leaves the rest for resume()", () => {
  const engine = new Engine({ eventBudget: 5 });
  engine.setClasses(jobs(Object.fromEntries(
    Array.from({ length: 20 }, (_, i) => [`j${i}`, "start on go\n"]),
  )));
  engine.emit("go", []);
  const running = () => engine.list().filter((s) => s.state === "running").length;
  assert.ok(engine.hasPendingEvents());
  assert.ok(running() < 20);
  let calls = 0;
  while (engine.hasPendingEvents() && calls++ < 100) engine.resume();
  assert.equal(running(), 20);
  assert.ok(calls > 3, `${calls} resumes`);
  assert.equal(engine.hasPendingEvents(), false);
});
