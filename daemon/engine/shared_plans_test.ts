import assert from "node:assert/strict";
import { parseEventExpr } from "../../parser/event_expr.ts";
import { EventExprState, eventNames, sharedEventNames } from "./event_operator.ts";

// Expressions of the same shape share their compiled plan and name set (docs/behaviour.md#memory);
// each state still evaluates on its own.

Deno.test("two job files' `start on startup` share one name set, not their state", () => {
  const a = parseEventExpr("startup");
  const b = parseEventExpr("startup");
  assert.notEqual(a, b);
  assert.equal(sharedEventNames(a), sharedEventNames(b));
  assert.deepEqual([...sharedEventNames(a)], ["startup"]);
  const sa = new EventExprState(a);
  const sb = new EventExprState(b);
  assert.deepEqual(sa.offer({ name: "startup", env: [] }, null), { matched: true, fired: true });
  assert.equal(sa.value, true);
  assert.equal(sb.value, false, "the other job's state is untouched");
  sa.reset();
  assert.equal(sa.value, false);
});

Deno.test("expressions that differ in an argument, operator or order do not share a plan", () => {
  const two = new EventExprState(parseEventExpr("runlevel [2345]"));
  const zero = new EventExprState(parseEventExpr("runlevel [016]"));
  const event = { name: "runlevel", env: ["RUNLEVEL=2", "PREVLEVEL=N"] };
  assert.equal(two.offer(event, null).fired, true);
  assert.equal(zero.offer(event, null).fired, false);

  const and = new EventExprState(parseEventExpr("a and b"));
  const or = new EventExprState(parseEventExpr("a or b"));
  assert.equal(and.offer({ name: "a", env: [] }, null).fired, false);
  assert.equal(or.offer({ name: "a", env: [] }, null).fired, true);

  const named = new EventExprState(parseEventExpr("started JOB=db"));
  const other = new EventExprState(parseEventExpr("started JOB=web"));
  assert.equal(named.offer({ name: "started", env: ["JOB=web"] }, null).fired, false);
  assert.equal(other.offer({ name: "started", env: ["JOB=web"] }, null).fired, true);

  const ab = parseEventExpr("a and (b or c)");
  const ba = parseEventExpr("(b or c) and a");
  const sab = new EventExprState(ab);
  const sba = new EventExprState(ba);
  for (const s of [sab, sba]) {
    s.offer({ name: "c", env: [] }, null);
    s.offer({ name: "a", env: [] }, null);
  }
  assert.deepEqual(sab.trueEvents().map((e) => e.name), ["a", "c"]);
  assert.deepEqual(sba.trueEvents().map((e) => e.name), ["c", "a"]);
});

Deno.test("eventNames() still gives a set of the caller's own", () => {
  const expr = parseEventExpr("a or b");
  const names = eventNames(expr);
  names.add("z");
  assert.deepEqual([...sharedEventNames(parseEventExpr("a or b"))], ["a", "b"]);
});

Deno.test("a state exported and imported into a same-shape expression's state keeps its values", () => {
  const first = new EventExprState(parseEventExpr("a and b"));
  const event = { name: "a", env: [] };
  first.offer(event, null);
  const data = first.exportState((e) => e);
  const second = new EventExprState(parseEventExpr("a and b"));
  second.importState(data, (e) => e);
  assert.equal(second.partial, true);
  assert.equal(second.offer({ name: "b", env: [] }, null).fired, true);
  assert.equal(first.value, false, "the exported state is not linked to the new one");
});
