import assert from "node:assert/strict";
import { EngineHarness } from "../tests/fakes/engine_harness.ts";
import { buildBars, criticalChain } from "../cli/timeline/bars.ts";
import { Observed, observingSpawner } from "./observe.ts";
import type { ProcessSpawner, SpawnedProcess, SpawnRequest } from "./ports.ts";
import { Timeline } from "./timeline.ts";

Deno.test("Timeline keeps the newest changes in a ring of fixed size", () => {
  let now = 0;
  const t = new Timeline(() => now, 3, () => 5_000);
  for (let i = 1; i <= 5; i++) {
    now = i * 10;
    t.record({
      job: `j${i}`,
      instance: "",
      from: "waiting",
      to: "starting",
      goal: "start",
      cause: null,
    });
  }
  assert.deepEqual(t.entries().map((e) => `${e.seq} ${e.t} ${e.job}`), [
    "3 30 j3",
    "4 40 j4",
    "5 50 j5",
  ]);
  assert.equal(t.dropped, 2);
  assert.equal(t.origin, 0);
  assert.equal(t.wallOrigin, 5_000);
  assert.throws(() => new Timeline(() => 0, 0), RangeError);
});

/** An engine on a fake clock whose state changes feed an `Observed`. */
function harness(files: Record<string, string>) {
  let h: EngineHarness | null = null;
  const observed = new Observed(() => h?.clock.now() ?? 0);
  h = new EngineHarness(files, { engine: { onStateChange: observed.onStateChange } });
  return { h, observed };
}

Deno.test("the timeline records every state change at the fake clock's time", () => {
  const { h, observed } = harness({
    svc: "pre-start exec true\nexec daemon\npost-stop exec cleanup\nrespawn\n",
  });
  h.start("svc");
  h.advance(100);
  h.exit("svc", "pre-start");
  h.advance(500);
  h.exit("svc", "main", 1); // respawned
  h.advance(100);
  h.exit("svc", "post-stop");
  h.advance(50);
  h.exit("svc", "pre-start");
  h.advance(250);
  h.stop("svc");
  h.advance(100);
  h.exit("svc", "post-stop");

  const recorded = observed.timeline.entries();
  // Exactly the changes the engine logged, in order.
  assert.deepEqual(recorded.map((e) => `${e.from}>${e.to}`), h.stateChanges("svc"));
  assert.equal(recorded.at(-1)?.to, "waiting");

  const bars = buildBars(recorded, observed.timeline.origin, 1200);
  assert.equal(bars.length, 1);
  const bar = bars[0]!;
  assert.deepEqual(
    bar.segments.filter((s) => s.end > s.start).map((s) => `${s.kind} ${s.start}-${s.end}`),
    [
      "pre-start 0-100",
      "running 100-600",
      "post-stop 600-700",
      "pre-start 700-750",
      "running 750-1000",
      "post-stop 1000-1100",
    ],
  );
  assert.equal(bar.open, false);
  assert.equal(bar.readyAt, 100);

  const facts = observed.stats.get("svc", "");
  assert.equal(facts?.respawns, 1);
  assert.equal(facts?.startingAt, 700);
  assert.equal(facts?.startDurationMs, 50);
  assert.deepEqual(facts?.startEvents, []);
});

Deno.test("the timeline's critical chain follows the jobs that came up last", () => {
  const { h, observed } = harness({
    db: "start on go\npre-start exec prep\nexec db\n",
    web: "start on started db\npre-start exec warm\nexec web\n",
    side: "start on go\nexec side\n",
  });
  h.emit("go");
  h.advance(100);
  h.exit("db", "pre-start");
  h.advance(300);
  h.exit("web", "pre-start");
  const bars = buildBars(observed.timeline.entries(), observed.timeline.origin, 500);
  assert.deepEqual(bars.map((b) => `${b.job} ${b.startAt} ${b.readyAt} ${b.cause}`).sort(), [
    "db 0 100 null",
    "side 0 0 null",
    "web 100 400 db",
  ]);
  assert.deepEqual(criticalChain(bars).map((l) => `${l.job} @${l.readyAt} +${l.took}`), [
    "web @400 +300",
    "db @100 +100",
  ]);
  assert.deepEqual(observed.stats.get("web", "")?.startEvents, ["started"]);
});

Deno.test("observingSpawner() reports the supervised process's exit", async () => {
  const observed = new Observed(() => 42);
  let resolve!: (s: { code: number }) => void;
  const inner: ProcessSpawner = {
    spawn: (_req: SpawnRequest): SpawnedProcess => ({
      pid: 9,
      exited: new Promise((r) => (resolve = r)),
      tracked: null,
    }),
    kill: () => {},
  };
  const spawner = observingSpawner(inner, observed);
  const req = { job: "j", instance: "i", process: "main" } as SpawnRequest;
  assert.equal(spawner.spawn(req).pid, 9);
  resolve({ code: 3 });
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(observed.stats.get("j", "i")?.lastExit, {
    process: "main",
    pid: 9,
    status: { code: 3 },
    at: 42,
  });
});

Deno.test("observingSpawner() passes the spawner's optional abilities through", () => {
  const calls: string[] = [];
  class Inner implements ProcessSpawner {
    #name = "inner"; // private state: the wrapper must call with the right `this`
    spawn(): SpawnedProcess {
      throw new Error("not used");
    }
    kill(): void {}
    adopt(pid: number) {
      calls.push(`${this.#name} adopt ${pid}`);
      return null;
    }
    keepAcrossExec() {
      calls.push(`${this.#name} keep`);
      return [];
    }
    flushLogs() {
      calls.push(`${this.#name} flush`);
    }
  }
  const wrapped = observingSpawner(new Inner(), new Observed(() => 0));
  wrapped.adopt?.(42);
  wrapped.keepAcrossExec?.();
  wrapped.flushLogs?.();
  assert.equal(wrapped.reportTo, undefined, "what the inner spawner lacks stays absent");
  assert.deepEqual(calls, ["inner adopt 42", "inner keep", "inner flush"]);
});
