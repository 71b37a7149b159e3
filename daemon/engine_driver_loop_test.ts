/**
 * Event loops through the driver (docs/behaviour.md#event-loops): jobs whose processes end at
 * once and trigger themselves again are held, and a long burst of inputs yields to the event
 * loop instead of running to the end in one go.
 */
import assert from "node:assert/strict";
import { DRAIN_SLICE } from "./engine_driver.ts";
import { EngineHarness } from "../tests/fakes/engine_harness.ts";

const exitAtOnce = () => ({ code: 0 }) as const;

/** Ubuntu's startpar-bridge job, renamed: its `JOB!=startpar-bridge` no longer excludes itself. */
const STARTPAR_BRIDGE_COPY = `
start on started JOB!=startpar-bridge or stopped JOB!=startpar-bridge
instance $JOB-$INSTANCE-$UPSTART_EVENTS
task
exec startpar-upstart-inject "$JOB" "$INSTANCE" "$UPSTART_EVENTS"
`;

function flush(h: EngineHarness, rounds = 50): void {
  for (let i = 0; i < rounds; i++) h.advance(0);
}

Deno.test("driver: a renamed startpar-bridge copy is held after its limit, and says so once", () => {
  const h = new EngineHarness(
    { "bridge-copy": STARTPAR_BRIDGE_COPY, other: "task\nexec /bin/other" },
    { autoExit: exitAtOnce },
  );
  h.start("other");
  flush(h);
  const spawns = h.spawner.spawns.filter((p) => p.job === "bridge-copy").length;
  // Two from `other` (started, stopped), then ten self-caused starts before the hold.
  assert.ok(spawns <= 12, `${spawns} spawns of the loop`);
  const held = h.messages("warn").filter((m) => m.includes("event loop"));
  assert.equal(held.length, 1, h.messages("warn").join("\n"));
  assert.match(held[0]!, /^bridge-copy started by its own events 11 times within 5s/);
  assert.equal(h.spawner.live.length, 0);
  // Once the hold is over, a new outside trigger runs it again, and it is held again.
  h.advance(10_000);
  h.start("other");
  flush(h);
  assert.equal(h.messages("warn").filter((m) => m.includes("event loop")).length, 2);
});

Deno.test("driver: two tasks that start each other on their stops are held", () => {
  const h = new EngineHarness({
    a: "task\nstart on go or stopped JOB=b\nexec /bin/a",
    b: "task\nstart on stopped JOB=a\nexec /bin/b",
  }, { autoExit: exitAtOnce });
  h.emit("go");
  flush(h);
  assert.ok(h.spawner.spawns.length <= 24, `${h.spawner.spawns.length} spawns`);
  assert.equal(h.messages("warn").filter((m) => m.includes("event loop")).length, 1);
});

Deno.test("driver: a burst of inputs is drained in slices, the rest in a later turn", () => {
  const n = DRAIN_SLICE.inputs + 50;
  const files = Object.fromEntries(
    Array.from({ length: n }, (_, i) => [`j${i}`, `start on go\nexec /bin/j${i}`]),
  );
  const h = new EngineHarness(files);
  h.emit("go");
  const running = () => h.engine.list().filter((s) => s.state === "running").length;
  assert.ok(running() < n, "the drain yielded before handling every spawn");
  assert.ok(running() >= DRAIN_SLICE.inputs - 1);
  h.advance(0);
  assert.equal(running(), n);
});

Deno.test("driver: events left by a call's budget are handled in later turns", () => {
  const files = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`j${i}`, "start on go"]));
  const h = new EngineHarness(files, { engine: { eventBudget: 10 } });
  h.emit("go");
  const running = () => h.engine.list().filter((s) => s.state === "running").length;
  assert.ok(running() < 30);
  for (let i = 0; i < 20 && h.engine.hasPendingEvents(); i++) h.advance(0);
  assert.equal(running(), 30);
});
