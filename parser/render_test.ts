import assert from "node:assert/strict";
import fc from "fast-check";
import type { EventExpr, MatchArg } from "./types.ts";
import {
  enumerateEventExpr,
  renderEnumeratedEventExpr,
  renderEventExpr,
  renderShowConfig,
} from "./render.ts";

// Trees are built by hand: the grammar that produces them lives elsewhere.
const pos = (value: string): MatchArg => ({ kind: "positional", value });
const eq = (name: string, value: string): MatchArg => ({ kind: "named", name, op: "=", value });
const ne = (name: string, value: string): MatchArg => ({ kind: "named", name, op: "!=", value });
const on = (event: string, ...args: MatchArg[]): EventExpr => ({ kind: "match", event, args });
const and = (left: EventExpr, right: EventExpr): EventExpr => ({ kind: "and", left, right });
const or = (left: EventExpr, right: EventExpr): EventExpr => ({ kind: "or", left, right });

/** The `complex` job of docs/tools.md#event-and-config-commands. */
const COMPLEX = {
  name: "complex",
  emits: ["boing", "blip"],
  // start on starting A and (B or C var=2)
  startOn: and(on("starting", pos("A")), or(on("B"), on("C", eq("var", "2")))),
  // stop on bar HELLO=world testing=123 or stopping wibble
  stopOn: or(on("bar", eq("HELLO", "world"), eq("testing", "123")), on("stopping", pos("wibble"))),
};

Deno.test("renderEventExpr() reproduces the canonical forms of docs/events.md#grammar", () => {
  // start on a and (b or c)
  assert.equal(renderEventExpr(and(on("a"), or(on("b"), on("c")))), "(a and (b or c))");
  // start on wibble or wobble or wiggle
  assert.equal(
    renderEventExpr(or(or(on("wibble"), on("wobble")), on("wiggle"))),
    "((wibble or wobble) or wiggle)",
  );
  // start on foo KEY="a b"
  assert.equal(renderEventExpr(on("foo", eq("KEY", "a b"))), "foo KEY=a b");
});

Deno.test("renderEventExpr() writes positional, = and != arguments as stored", () => {
  assert.equal(
    renderEventExpr(on("net-device-up", pos("x"), eq("IFACE", "eth*"), ne("IFACE", "lo"))),
    "net-device-up x IFACE=eth* IFACE!=lo",
  );
  assert.equal(renderEventExpr(on("runlevel", pos("[!2345]"))), "runlevel [!2345]");
  assert.equal(renderEventExpr(on("startup")), "startup");
});

Deno.test("renderShowConfig() reproduces the show-config output of docs/tools.md#event-and-config-commands", () => {
  assert.equal(
    renderShowConfig(COMPLEX).join("\n") + "\n",
    `complex
  emits boing
  emits blip
  start on (starting A and (B or C var=2))
  stop on (bar HELLO=world testing=123 or stopping wibble)
`,
  );
});

Deno.test("renderShowConfig() reproduces the show-config -e output of docs/tools.md#event-and-config-commands", () => {
  assert.equal(
    renderShowConfig(COMPLEX, { enumerate: true }).join("\n") + "\n",
    `complex
  emits boing
  emits blip
  start on starting (job: A, env:)
  start on B (job:, env:)
  start on C (job:, env: var=2)
  stop on bar (job:, env: HELLO=world testing=123)
  stop on stopping (job: wibble, env:)
`,
  );
});

Deno.test("renderShowConfig() prints only the name of a job without emits or conditions", () => {
  const job = { name: "plain", emits: [], startOn: null, stopOn: null };
  assert.deepEqual(renderShowConfig(job), ["plain"]);
  assert.deepEqual(renderShowConfig(job, { enumerate: true }), ["plain"]);
});

Deno.test("renderShowConfig() prints a lone event unparenthesised", () => {
  const job = { name: "j", emits: [], startOn: on("startup"), stopOn: on("runlevel", pos("[06]")) };
  assert.deepEqual(renderShowConfig(job), ["j", "  start on startup", "  stop on runlevel [06]"]);
});

Deno.test("enumerateEventExpr() takes the job of a job event from JOB= or a first positional", () => {
  assert.deepEqual(enumerateEventExpr(on("started", eq("JOB", "foo"), eq("RESULT", "ok"))), [
    { event: "started", job: "foo", env: ["RESULT=ok"] },
  ]);
  assert.deepEqual(
    enumerateEventExpr(on("stopped", eq("A", "B"), eq("c", "hello"), eq("JOB", "foo"))),
    [
      { event: "stopped", job: "foo", env: ["A=B", "c=hello"] },
    ],
  );
  assert.deepEqual(enumerateEventExpr(on("starting", pos("$JOB"), eq("A", "B"))), [
    { event: "starting", job: "$JOB", env: ["A=B"] },
  ]);
  assert.deepEqual(enumerateEventExpr(on("stopping", pos("foo"), pos("bar"))), [
    { event: "stopping", job: "foo", env: ["bar"] },
  ]);
});

Deno.test("enumerateEventExpr() names no job for other events or other arguments", () => {
  assert.deepEqual(enumerateEventExpr(on("runlevel", pos("[2345]"))), [
    { event: "runlevel", job: "", env: ["[2345]"] },
  ]);
  assert.deepEqual(enumerateEventExpr(on("started", ne("JOB", "foo"), eq("XJOB", "x"))), [
    { event: "started", job: "", env: ["JOB!=foo", "XJOB=x"] },
  ]);
  assert.deepEqual(enumerateEventExpr(on("started", eq("A", "1"), pos("late"))), [
    { event: "started", job: "", env: ["A=1", "late"] },
  ]);
});

Deno.test("renderEnumeratedEventExpr() lists leaves left to right for the given stanza", () => {
  const expr = or(and(on("started", pos("a")), on("x", pos("1"))), on("stopped", eq("JOB", "b")));
  assert.deepEqual(renderEnumeratedEventExpr("stop on", expr), [
    "  stop on started (job: a, env:)",
    "  stop on x (job:, env: 1)",
    "  stop on stopped (job: b, env:)",
  ]);
  assert.deepEqual(renderEnumeratedEventExpr("start on", on("started", eq("JOB", ""))), [
    "  start on started (job: , env:)",
  ]);
});

const exprArb: fc.Arbitrary<EventExpr> = fc.letrec<{ expr: EventExpr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.stringMatching(/^[a-z][a-z-]{0,6}$/).map((name) => on(name)),
    fc.tuple(fc.constantFrom("and" as const, "or" as const), tie("expr"), tie("expr"))
      .map(([kind, left, right]): EventExpr => ({ kind, left, right })),
  ),
})).expr;

function countOperators(expr: EventExpr): number {
  return expr.kind === "match" ? 0 : 1 + countOperators(expr.left) + countOperators(expr.right);
}

Deno.test("renderEventExpr() parenthesises exactly once per operator", () => {
  fc.assert(
    fc.property(exprArb, (expr) => {
      const text = renderEventExpr(expr);
      const opens = [...text].filter((c) => c === "(").length;
      assert.equal(opens, countOperators(expr));
      assert.equal([...text].filter((c) => c === ")").length, opens);
      assert.equal(text.startsWith("("), expr.kind !== "match");
      assert.equal(enumerateEventExpr(expr).length, opens + 1);
    }),
  );
});
