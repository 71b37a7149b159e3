import assert from "node:assert/strict";
import fc from "fast-check";
import { JobSyntaxError, type JobSyntaxErrorKind } from "./errors.ts";
import { parseEventExpr, toMatchArg } from "./event_expr.ts";
import { renderEventExpr } from "./render.ts";
import type { EventExpr, MatchArg } from "./types.ts";
import { expected, failureOf as failure } from "./_test_failure.ts";

function ev(event: string, ...args: string[]): EventExpr {
  return { kind: "match", event, args: args.map(toMatchArg) };
}

function and(left: EventExpr, right: EventExpr): EventExpr {
  return { kind: "and", left, right };
}

function or(left: EventExpr, right: EventExpr): EventExpr {
  return { kind: "or", left, right };
}

Deno.test("toMatchArg() splits at the first != if any, else the first =", () => {
  const cases: [string, MatchArg][] = [
    ["tty1", { kind: "positional", value: "tty1" }],
    ["K=v", { kind: "named", name: "K", op: "=", value: "v" }],
    ["K!=v", { kind: "named", name: "K", op: "!=", value: "v" }],
    ["K=a=b", { kind: "named", name: "K", op: "=", value: "a=b" }],
    ["A=b!=c", { kind: "named", name: "A=b", op: "!=", value: "c" }],
    ["K=", { kind: "named", name: "K", op: "=", value: "" }],
  ];
  for (const [text, arg] of cases) assert.deepEqual(toMatchArg(text), arg);
});

Deno.test("parseEventExpr() reads events with positional and named arguments", () => {
  assert.deepEqual(parseEventExpr("startup"), ev("startup"));
  assert.deepEqual(
    parseEventExpr("stopped JOB!=foo RESULT=failed"),
    ev("stopped", "JOB!=foo", "RESULT=failed"),
  );
  assert.deepEqual(parseEventExpr("runlevel [!2345]"), ev("runlevel", "[!2345]"));
  assert.deepEqual(parseEventExpr('foo KEY="a b"'), ev("foo", "KEY=a b"));
  assert.deepEqual(parseEventExpr("a p1 p2 K=v"), ev("a", "p1", "p2", "K=v"));
});

Deno.test("parseEventExpr() treats only bare lower-case and/or as operators", () => {
  assert.deepEqual(parseEventExpr('"and"'), ev("and"));
  assert.deepEqual(parseEventExpr("a AND b"), ev("a", "AND", "b"));
  assert.deepEqual(parseEventExpr("a 'or' b"), ev("a", "or", "b"));
});

Deno.test("parseEventExpr() binds and/or equally, left to right", () => {
  assert.deepEqual(parseEventExpr("a or b and c"), and(or(ev("a"), ev("b")), ev("c")));
  assert.deepEqual(parseEventExpr("a and b or c"), or(and(ev("a"), ev("b")), ev("c")));
  assert.deepEqual(
    parseEventExpr("wibble or wobble or wiggle"),
    or(or(ev("wibble"), ev("wobble")), ev("wiggle")),
  );
  assert.deepEqual(parseEventExpr("a and (b or c)"), and(ev("a"), or(ev("b"), ev("c"))));
});

Deno.test("parseEventExpr() recognises glued parentheses outside quotes", () => {
  assert.deepEqual(parseEventExpr("a or(b and c)"), or(ev("a"), and(ev("b"), ev("c"))));
  assert.deepEqual(parseEventExpr("(a)or(b)"), or(ev("a"), ev("b")));
  assert.deepEqual(parseEventExpr("((a x))"), ev("a", "x"));
  assert.deepEqual(parseEventExpr("a '(b)'"), ev("a", "(b)"));
});

Deno.test("parseEventExpr() spans lines inside parentheses, with comments at line ends", () => {
  const text = "runlevel [23] and (  # console jobs\n" +
    "    not-container or\n" +
    "    container CONTAINER=lxc or  # lxc\n" +
    "    container CONTAINER=lxc-libvirt)\n";
  assert.deepEqual(
    parseEventExpr(text),
    and(
      ev("runlevel", "[23]"),
      or(
        or(ev("not-container"), ev("container", "CONTAINER=lxc")),
        ev("container", "CONTAINER=lxc-libvirt"),
      ),
    ),
  );
  assert.deepEqual(parseEventExpr("a \\\n  or b"), or(ev("a"), ev("b")));
});

Deno.test("parseEventExpr() ends the expression at a newline outside parentheses", () => {
  assert.deepEqual(parseEventExpr("a or b # comment\n\n# more\n"), or(ev("a"), ev("b")));
  assert.deepEqual(failure(() => parseEventExpr("a\nb")), expected("UNEXPECTED_TOKEN", 2, 1));
});

Deno.test("parseEventExpr() reports grammar errors at Upstart's positions", async (t) => {
  const cases: [string, JobSyntaxErrorKind, number, number][] = [
    ["", "EXPECTED_TOKEN", 1, 1],
    ["  # nothing", "EXPECTED_TOKEN", 1, 3],
    ["or a", "EXPECTED_EVENT", 1, 1],
    ["a or", "EXPECTED_EVENT", 1, 3],
    ["a or\nb", "EXPECTED_EVENT", 1, 3],
    ["a or or b", "EXPECTED_EVENT", 1, 6],
    ["(or a)", "EXPECTED_EVENT", 1, 2],
    ["(a or)", "EXPECTED_EVENT", 1, 6],
    ["()", "EXPECTED_EVENT", 1, 2],
    ["a or (", "EXPECTED_EVENT", 1, 6],
    ["frodo (foo or bar)", "EXPECTED_OPERATOR", 1, 7],
    ["(a) b", "EXPECTED_OPERATOR", 1, 5],
    ["(a) (b)", "EXPECTED_OPERATOR", 1, 5],
    ["(a) b or c", "EXPECTED_OPERATOR", 1, 7],
    ["a)", "MISMATCHED_PARENS", 1, 2],
    ["(a))", "MISMATCHED_PARENS", 1, 4],
    ["(a", "MISMATCHED_PARENS", 1, 3],
    ["(a\nb c\n", "MISMATCHED_PARENS", 3, 1],
    ["wibble foo KEY=bar baz", "EXPECTED_VARIABLE", 1, 20],
    ["a K=v \\\n x", "EXPECTED_VARIABLE", 2, 2],
    ["(a\n\nor b)", "EXPECTED_TOKEN", 2, 1],
    ["(a\n  # comment\nor b)", "EXPECTED_TOKEN", 2, 3],
    ["a 'b", "UNTERMINATED_QUOTE", 1, 3],
    ["a b\\", "TRAILING_SLASH", 1, 3],
  ];
  for (const [text, kind, line, column] of cases) {
    await t.step(`${JSON.stringify(text)} → ${kind}`, () => {
      assert.deepEqual(failure(() => parseEventExpr(text)), expected(kind, line, column));
    });
  }
});

const WORD = fc.stringMatching(/^[a-z][a-z0-9-]{0,7}$/).filter((w) => w !== "and" && w !== "or");
const VALUE = fc.stringMatching(/^[a-z0-9*?[\]/.$:-]{1,8}$/);
const NAME = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,5}$/);
const MATCH: fc.Arbitrary<EventExpr> = fc.record({
  event: WORD,
  positional: fc.array(VALUE, { maxLength: 2 }),
  named: fc.array(fc.tuple(NAME, fc.constantFrom("=", "!="), fc.oneof(VALUE, fc.constant(""))), {
    maxLength: 2,
  }),
}).map(({ event, positional, named }) => ({
  kind: "match",
  event,
  args: [
    ...positional.map((value): MatchArg => ({ kind: "positional", value })),
    ...named.map(([name, op, value]): MatchArg => ({ kind: "named", name, op, value })),
  ],
}));
const EXPR: fc.Arbitrary<EventExpr> = fc.letrec<{ expr: EventExpr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    MATCH,
    fc.tuple(fc.constantFrom("and" as const, "or" as const), tie("expr"), tie("expr")).map((
      [kind, left, right],
    ): EventExpr => ({ kind, left, right })),
  ),
})).expr;

Deno.test("parseEventExpr() reads back what renderEventExpr() writes", () => {
  fc.assert(fc.property(EXPR, (expr) => {
    assert.deepEqual(parseEventExpr(renderEventExpr(expr)), expr);
  }));
});

Deno.test("parseEventExpr() throws only JobSyntaxError for any text", () => {
  const text = fc.string({
    unit: fc.constantFrom(
      "a",
      "b",
      "K=",
      "!=",
      " ",
      "\n",
      "(",
      ")",
      "and",
      "or",
      "#",
      '"',
      "'",
      "\\",
    ),
    maxLength: 30,
  });
  fc.assert(fc.property(text, (input) => {
    try {
      parseEventExpr(input);
    } catch (e) {
      if (!(e instanceof JobSyntaxError)) throw e;
    }
  }));
});
