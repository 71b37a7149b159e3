import assert from "node:assert/strict";
import fc from "fast-check";
import { cloneDeep, stringifyDeep } from "./plain_data.ts";

type Expr = { kind: string; event?: string; left?: Expr; right?: Expr };

/** `start on e0 or e1 or … e(n-1)` as the parser builds it: a left-deep tree. */
function deepExpr(n: number): Expr {
  let expr: Expr = { kind: "match", event: "e0" };
  for (let i = 1; i < n; i++) {
    expr = { kind: "or", left: expr, right: { kind: "match", event: `e${i}` } };
  }
  return expr;
}

function assertDeepExpr(back: Expr, n: number): void {
  for (let i = n - 1; i > 0; i--) {
    assert.equal(back.right!.event, `e${i}`);
    back = back.left!;
  }
  assert.equal(back.event, "e0");
}

Deno.test("stringifyDeep gives JSON.stringify's text for any JSON value", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => assert.equal(stringifyDeep(v), JSON.stringify(v))),
    { numRuns: 2000 },
  );
  const odd = { a: undefined, b: () => 1, c: [undefined, NaN, -0, 1e21], d: new Date(0), e: "é\n" };
  assert.equal(stringifyDeep(odd), JSON.stringify(odd));
});

Deno.test("cloneDeep copies any JSON value as structuredClone does", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const c = cloneDeep(v);
      assert.deepEqual(c, structuredClone(v));
      if (v !== null && typeof v === "object") assert.notEqual(c, v);
    }),
    { numRuns: 2000 },
  );
  const shared = { x: 1 };
  const copy = cloneDeep({ a: shared, b: [shared] });
  assert.equal(copy.a, copy.b[0], "an object reached twice stays shared");
  assert.notEqual(copy.a, shared);
  assert.throws(() => cloneDeep({ m: new Map() }), TypeError);
});

Deno.test("a 100,000-deep expression tree is copied and written, where structuredClone overflows", () => {
  const expr = deepExpr(100_000);
  assert.throws(() => structuredClone(expr), RangeError);
  const copy = cloneDeep({ startOn: expr });
  assert.notEqual(copy.startOn, expr);
  assertDeepExpr(copy.startOn, 100_000);
  assertDeepExpr((JSON.parse(stringifyDeep(copy)) as { startOn: Expr }).startOn, 100_000);
});

Deno.test("stringifyDeep refuses a cycle and a BigInt, as JSON.stringify does", () => {
  const a: Record<string, unknown> = {};
  a.self = { a };
  assert.throws(() => stringifyDeep(a), TypeError);
  assert.throws(() => stringifyDeep({ n: 1n }), TypeError);
  const shared = { x: 1 };
  assert.equal(stringifyDeep([shared, shared]), '[{"x":1},{"x":1}]');
});
