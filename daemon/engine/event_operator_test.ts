import assert from "node:assert/strict";
import fc from "fast-check";
import type { EventExpr, EventLike, MatchArg } from "../../parser/types.ts";
import {
  eventEnvironment,
  EventExprState,
  eventNames,
  matchEvent,
  type MatchNode,
} from "./event_operator.ts";

// Trees are built by hand: the grammar that produces them lives elsewhere.
const pos = (value: string): MatchArg => ({ kind: "positional", value });
const eq = (name: string, value: string): MatchArg => ({ kind: "named", name, op: "=", value });
const ne = (name: string, value: string): MatchArg => ({ kind: "named", name, op: "!=", value });
const on = (event: string, ...args: MatchArg[]): MatchNode => ({ kind: "match", event, args });
const and = (left: EventExpr, right: EventExpr): EventExpr => ({ kind: "and", left, right });
const or = (left: EventExpr, right: EventExpr): EventExpr => ({ kind: "or", left, right });

interface TestEvent extends EventLike {
  readonly id: number;
}
let nextId = 0;
const ev = (name: string, ...env: string[]): TestEvent => ({ id: nextId++, name, env });

Deno.test("matchEvent() requires the exact, case-sensitive event name", () => {
  assert.ok(matchEvent(on("startup"), ev("startup"), null));
  assert.ok(!matchEvent(on("startup"), ev("Startup"), null));
  assert.ok(!matchEvent(on("start*"), ev("startup"), null));
});

Deno.test("matchEvent() compares positional i with the value of the i-th variable", () => {
  const event = ev("runlevel", "RUNLEVEL=2", "PREVLEVEL=N");
  assert.ok(matchEvent(on("runlevel", pos("2")), event, null));
  assert.ok(matchEvent(on("runlevel", pos("2"), pos("N")), event, null));
  assert.ok(!matchEvent(on("runlevel", pos("N")), event, null));
  assert.ok(!matchEvent(on("runlevel", pos("N"), pos("2")), event, null));
  assert.ok(!matchEvent(on("runlevel", pos("RUNLEVEL=2")), event, null));
});

Deno.test("matchEvent() fails a positional argument beyond the event's variables", () => {
  const event = ev("started", "JOB=foo");
  assert.ok(!matchEvent(on("started", pos("foo"), pos("*")), event, null));
});

Deno.test("matchEvent() accepts fewer arguments than the event has variables", () => {
  const event = ev("started", "JOB=foo", "INSTANCE=", "RESULT=ok");
  assert.ok(matchEvent(on("started"), event, null));
  assert.ok(matchEvent(on("started", pos("foo")), event, null));
});

Deno.test("matchEvent() needs a named variable to exist and match", () => {
  const event = ev("net-device-up", "IFACE=eth0", "LOGICAL=eth0");
  assert.ok(matchEvent(on("net-device-up", eq("IFACE", "eth0")), event, null));
  assert.ok(
    matchEvent(on("net-device-up", eq("LOGICAL", "eth0"), eq("IFACE", "eth0")), event, null),
  );
  assert.ok(!matchEvent(on("net-device-up", eq("IFACE", "lo")), event, null));
  assert.ok(!matchEvent(on("net-device-up", eq("ADDRFAM", "*")), event, null));
  assert.ok(!matchEvent(on("net-device-up", eq("IFAC", "*")), event, null));
});

Deno.test("matchEvent() needs a != variable to exist and not match", () => {
  const node = on("net-device-up", ne("IFACE", "lo"));
  assert.ok(matchEvent(node, ev("net-device-up", "IFACE=eth0"), null));
  assert.ok(!matchEvent(node, ev("net-device-up", "IFACE=lo"), null));
  assert.ok(!matchEvent(node, ev("net-device-up", "OTHER=x"), null));
  assert.ok(!matchEvent(node, ev("net-device-up"), null));
});

Deno.test("matchEvent() matches values as fnmatch globs", () => {
  const event = (level: string) => ev("runlevel", `RUNLEVEL=${level}`, "PREVLEVEL=2");
  assert.ok(matchEvent(on("runlevel", pos("[!2345]")), event("6"), null));
  assert.ok(!matchEvent(on("runlevel", pos("[!2345]")), event("3"), null));
  assert.ok(
    matchEvent(
      on("block-device-added", eq("DEVNAME", "/dev/sd*")),
      ev("block-device-added", "DEVNAME=/dev/sda/1"),
      null,
    ),
  );
  assert.ok(matchEvent(on("e", ne("V", "a?")), ev("e", "V=abc"), null));
});

Deno.test("matchEvent() expands $VAR against the instance environment for stop on", () => {
  const node = on("net-device-removed", eq("INTERFACE", "$INTERFACE"));
  const removed = ev("net-device-removed", "INTERFACE=eth1");
  assert.ok(matchEvent(node, removed, new Map([["INTERFACE", "eth1"]])));
  assert.ok(!matchEvent(node, removed, new Map([["INTERFACE", "eth0"]])));
  const runlevel = on("runlevel", pos("[!$RUNLEVEL]"));
  assert.ok(matchEvent(runlevel, ev("runlevel", "RUNLEVEL=6"), new Map([["RUNLEVEL", "2"]])));
  assert.ok(!matchEvent(runlevel, ev("runlevel", "RUNLEVEL=2"), new Map([["RUNLEVEL", "2"]])));
});

Deno.test("matchEvent() never matches plain $VAR for start on but honours defaults", () => {
  const event = ev("net-device-up", "IFACE=eth0");
  assert.ok(!matchEvent(on("net-device-up", eq("IFACE", "$IFACE")), event, null));
  assert.ok(!matchEvent(on("net-device-up", eq("IFACE", "*$IFACE")), event, null));
  assert.ok(matchEvent(on("net-device-up", eq("IFACE", "${IFACE:-eth0}")), event, null));
  assert.ok(matchEvent(on("net-device-up", eq("IFACE", "${IFACE-eth*}")), event, null));
});

Deno.test("matchEvent() treats an expansion failure as no match, even for !=", () => {
  const event = ev("e", "V=x");
  assert.ok(!matchEvent(on("e", eq("V", "${V")), event, new Map([["V", "x"]])));
  assert.ok(!matchEvent(on("e", ne("V", "${V?}")), event, new Map([["V", "y"]])));
  assert.ok(!matchEvent(on("e", ne("V", "$MISSING")), event, new Map()));
});

Deno.test("EventExprState evaluates a left-associative chain as the grammar groups it", () => {
  // `a or b and c` parses as ((a or b) and c).
  const leftAssoc = new EventExprState(and(or(on("a"), on("b")), on("c")));
  assert.deepEqual(leftAssoc.offer(ev("a"), null), { matched: true, fired: false });
  assert.equal(leftAssoc.offer(ev("c"), null).fired, true);
  const alone = new EventExprState(and(or(on("a"), on("b")), on("c")));
  assert.equal(alone.offer(ev("c"), null).fired, false);
  // With explicit parentheses, `a or (b and c)` fires on a alone.
  const grouped = new EventExprState(or(on("a"), and(on("b"), on("c"))));
  assert.deepEqual(grouped.offer(ev("a"), null), { matched: true, fired: true });
});

Deno.test("EventExprState keeps and/or state partially true between events", () => {
  const state = new EventExprState(and(on("a"), or(on("b"), on("c"))));
  assert.equal(state.partial, false);
  assert.deepEqual(state.offer(ev("x"), null), { matched: false, fired: false });
  assert.deepEqual(state.offer(ev("b"), null), { matched: true, fired: false });
  assert.equal(state.partial, true);
  assert.equal(state.value, false);
  assert.deepEqual(state.offer(ev("a"), null), { matched: true, fired: true });
  assert.equal(state.value, true);
  assert.equal(state.partial, false);
});

Deno.test("EventExprState keeps the first matching event of a leaf", () => {
  const state = new EventExprState<TestEvent>(and(on("a"), on("b")));
  const first = ev("a", "N=1");
  const second = ev("a", "N=2");
  assert.equal(state.offer(first, null).matched, true);
  assert.deepEqual(state.offer(second, null), { matched: false, fired: false });
  assert.deepEqual(state.heldEvents(), [first]);
  const last = ev("b");
  state.offer(last, null);
  assert.deepEqual(state.trueEvents(), [first, last]);
});

Deno.test("EventExprState.trueEvents() excludes events of false sub-branches", () => {
  const state = new EventExprState<TestEvent>(or(and(on("a"), on("b")), on("c")));
  const a = ev("a");
  const c = ev("c");
  state.offer(a, null);
  assert.deepEqual(state.trueEvents(), []);
  state.offer(c, null);
  assert.equal(state.value, true);
  assert.deepEqual(state.trueEvents(), [c]);
  assert.deepEqual(state.heldEvents(), [a, c]);
});

Deno.test("EventExprState.trueEvents() lists events in tree order, each once", () => {
  const state = new EventExprState<TestEvent>(
    and(or(on("foo"), on("foo", eq("A", "1"))), on("bar")),
  );
  const bar = ev("bar");
  const foo = ev("foo", "A=1");
  state.offer(bar, null);
  assert.deepEqual(state.offer(foo, null), { matched: true, fired: true });
  assert.deepEqual(state.trueEvents(), [foo, bar]);
  assert.deepEqual(state.heldEvents(), [foo, bar]);
});

Deno.test("EventExprState.reset() drops all state so events count again", () => {
  const state = new EventExprState(and(on("a"), on("b")));
  state.offer(ev("a"), null);
  state.reset();
  assert.equal(state.partial, false);
  assert.equal(state.value, false);
  assert.deepEqual(state.heldEvents(), []);
  assert.equal(state.offer(ev("b"), null).fired, false);
  assert.equal(state.offer(ev("a"), null).fired, true);
  state.reset();
  assert.equal(state.value, false);
  assert.deepEqual(state.trueEvents(), []);
});

Deno.test("EventExprState uses the given environment for $VAR leaves", () => {
  const state = new EventExprState(on("net-device-removed", eq("INTERFACE", "$INTERFACE")));
  const removed = ev("net-device-removed", "INTERFACE=eth0");
  assert.equal(state.offer(removed, null).matched, false);
  assert.equal(state.offer(removed, new Map([["INTERFACE", "eth1"]])).matched, false);
  assert.equal(state.offer(removed, new Map([["INTERFACE", "eth0"]])).fired, true);
});

Deno.test("EventExprState states built from one tree are independent", () => {
  const expr = and(on("a"), on("b"));
  const one = new EventExprState(expr);
  const two = new EventExprState(expr);
  one.offer(ev("a"), null);
  assert.equal(one.partial, true);
  assert.equal(two.partial, false);
});

Deno.test("eventNames() lists the distinct leaf event names", () => {
  const expr = or(and(on("a"), on("b", pos("x"))), or(on("a", eq("K", "v")), on("c")));
  assert.deepEqual([...eventNames(expr)].sort(), ["a", "b", "c"]);
  assert.deepEqual([...eventNames(on("startup"))], ["startup"]);
});

Deno.test("eventEnvironment() lists variables in order, then the event names", () => {
  const events = [ev("begin", "A=1", "B=2"), ev("net", "IFACE=eth0")];
  assert.deepEqual(eventEnvironment(events, { eventsVar: "UPSTART_EVENTS" }), [
    "A=1",
    "B=2",
    "IFACE=eth0",
    "UPSTART_EVENTS=begin net",
  ]);
  assert.deepEqual(
    eventEnvironment([ev("halt-it", "REASON=x")], { eventsVar: "UPSTART_STOP_EVENTS" }),
    [
      "REASON=x",
      "UPSTART_STOP_EVENTS=halt-it",
    ],
  );
  assert.deepEqual(eventEnvironment([], { eventsVar: "UPSTART_EVENTS" }), ["UPSTART_EVENTS="]);
});

Deno.test("eventEnvironment() lets a later event's variable replace an earlier one in place", () => {
  const events = [ev("a", "X=1", "Y=1"), ev("b", "X=2")];
  assert.deepEqual(eventEnvironment(events, { eventsVar: "UPSTART_EVENTS" }), [
    "X=2",
    "Y=1",
    "UPSTART_EVENTS=a b",
  ]);
});

// Speed is measured by bench/engine_bench.ts (one event against 1,000 classes), never asserted in a
// test: a loaded machine would fail it for no fault of the code.
Deno.test("EventExprState answers events offered to 1,000 classes through a name index", () => {
  const classes = Array.from({ length: 1000 }, (_, i) => {
    const expr = i % 2 === 0
      ? and(on("runlevel", pos("[2345]")), on("started", pos(`job${i}`)))
      : or(on("runlevel", pos("[!2345]")), on("stopping", eq("JOB", "job*")));
    return { state: new EventExprState(expr), names: eventNames(expr) };
  });
  const index = new Map<string, EventExprState[]>();
  for (const { state, names } of classes) {
    for (const name of names) index.set(name, [...(index.get(name) ?? []), state]);
  }
  const offer = (event: ReturnType<typeof ev>) => {
    for (const state of index.get(event.name) ?? []) state.offer(event, null);
  };
  offer(ev("runlevel", "RUNLEVEL=2", "PREVLEVEL=N"));
  offer(ev("filesystem"));
  offer(ev("started", "JOB=job10"));
  const trueOnes = classes.flatMap(({ state }, i) => (state.value ? [i] : []));
  assert.deepEqual(trueOnes, [10]);
  assert.equal(
    classes.filter(({ state }) => state.partial).length,
    499,
    "the other runlevel halves",
  );
  for (const { state } of classes) state.reset();
  offer(ev("runlevel", "RUNLEVEL=1", "PREVLEVEL=2"));
  assert.equal(classes.filter(({ state }) => state.value).length, 500, "every odd class");
});

// Property: the state equals a direct evaluation in which a leaf is true when any
// offered event matched it, and trueEvents() is always a subset of heldEvents().
const NAMES = ["a", "b", "c"];
const leafArb: fc.Arbitrary<EventExpr> = fc.record({
  event: fc.constantFrom(...NAMES),
  arg: fc.option(fc.constantFrom(pos("1"), eq("K", "[12]"), ne("K", "1")), { nil: undefined }),
}).map(({ event, arg }) => (arg === undefined ? on(event) : on(event, arg)));
const exprArb: fc.Arbitrary<EventExpr> = fc.letrec<{ expr: EventExpr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leafArb,
    fc.tuple(fc.constantFrom("and" as const, "or" as const), tie("expr"), tie("expr"))
      .map(([kind, left, right]): EventExpr => ({ kind, left, right })),
  ),
})).expr;
const eventArb = fc.record({
  name: fc.constantFrom(...NAMES),
  env: fc.constantFrom([], ["K=1"], ["K=2"], ["K=3"]),
});

function evaluate(expr: EventExpr, events: readonly EventLike[]): boolean {
  if (expr.kind === "match") return events.some((e) => matchEvent(expr, e, null));
  const l = evaluate(expr.left, events);
  const r = evaluate(expr.right, events);
  return expr.kind === "and" ? l && r : l || r;
}

Deno.test("EventExprState agrees with a direct evaluation of the tree", () => {
  fc.assert(
    fc.property(exprArb, fc.array(eventArb, { maxLength: 8 }), (expr, events) => {
      const state = new EventExprState(expr);
      const offered: EventLike[] = [];
      for (const event of events) {
        offered.push(event);
        const { fired } = state.offer(event, null);
        assert.equal(fired, evaluate(expr, offered));
        assert.equal(state.value, fired);
        const held = state.heldEvents();
        for (const e of state.trueEvents()) assert.ok(held.includes(e));
        assert.equal(state.partial, held.length > 0 && !fired);
      }
    }),
    { numRuns: 500 },
  );
});
