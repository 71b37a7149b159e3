// Issue 14, item 7: a condition tens of thousands of levels deep is parsed, rendered, listed,
// checked and matched without recursion (a recursive walk overflowed the stack at ~10,000).
import assert from "node:assert/strict";
import { checkConfig } from "../daemon/check_config.ts";
import { EventExprState } from "../daemon/engine/event_operator.ts";
import { jobClassFields } from "./fields.ts";
import { parseJobConfig } from "./parse_job.ts";
import {
  conditionLeaves,
  enumerateEventExpr,
  exprDepth,
  renderEventExpr,
  renderShowConfig,
} from "./render.ts";
import type { EventExpr } from "./types.ts";

const N = 20_000;
const names = Array.from({ length: N }, (_, i) => `e${i}`);
// `start on e0 or e1 or …` nests to the left; `stop on (f0 and (f1 and …))` to the right.
const text = `start on ${names.join(" or ")}\n` +
  `stop on ${names.map((n) => `(f${n.slice(1)} and`).join(" ")} z${")".repeat(N)}\nexec true\n`;
const job = parseJobConfig(text, { name: "deep" });
const startOn = job.startOn as EventExpr;
const stopOn = job.stopOn as EventExpr;

Deno.test("a 20,000-alternative condition renders canonically, iteratively", () => {
  assert.equal(exprDepth(startOn), N);
  assert.equal(exprDepth(stopOn), N + 1);
  const rendered = renderEventExpr(startOn);
  assert.ok(rendered.startsWith(`${"(".repeat(N - 1)}e0 or e1)`));
  assert.ok(rendered.endsWith(` or e${N - 1})`));
  assert.ok(renderEventExpr(stopOn).endsWith(`(f${N - 1} and z${")".repeat(N)}`));
  assert.equal(jobClassFields(job).start_on, rendered);
  const lines = renderShowConfig(job, { enumerate: true });
  assert.equal(lines.length, 1 + N + N + 1);
  assert.equal(lines[1], "  start on e0 (job:, env:)");
  assert.equal(enumerateEventExpr(startOn).length, N);
  assert.deepEqual(conditionLeaves(stopOn).at(-1), { event: "z", job: null, env: [] });
});

Deno.test("check-config and event matching cope with a 20,000-deep condition", () => {
  const problems = checkConfig([job], { warn: true });
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.problems.length, N + N + 1);
  assert.equal(problems[0]!.problems[0], "start on: unknown event e0");
  // Without -w an `or` with one known side is fine: one known alternative clears `start on`.
  const emitter = parseJobConfig(`emits e${N - 1}\n`, { name: "emitter" });
  const quiet = checkConfig([job, emitter], {}, "deep");
  assert.equal(quiet[0]!.problems.filter((p) => p.startsWith("start on")).length, 0);

  const state = new EventExprState(startOn);
  assert.equal(state.offer({ name: `e${N - 1}`, env: [] } as never, null).fired, true);
  const all = new EventExprState(stopOn);
  all.offer({ name: "z", env: [] } as never, null);
  for (let i = 0; i < 5; i++) all.offer({ name: `f${i}`, env: [] } as never, null);
  assert.equal(all.value, false);
});
