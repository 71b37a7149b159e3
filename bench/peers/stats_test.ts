import assert from "node:assert/strict";
import { max, median, min, summarize } from "./stats.ts";

Deno.test("median() takes the middle sample of an odd count", () => {
  assert.equal(median([5, 1, 3]), 3);
});

Deno.test("median() averages the two middle samples of an even count", () => {
  assert.equal(median([4, 1, 3, 10]), 3.5);
});

Deno.test("median() does not reorder its input", () => {
  const input = [3, 1, 2];
  median(input);
  assert.deepEqual(input, [3, 1, 2]);
});

Deno.test("min() and max() return the extremes", () => {
  assert.equal(min([7, -2, 9]), -2);
  assert.equal(max([7, -2, 9]), 9);
});

Deno.test("summarize() reports median, min, max and count", () => {
  assert.deepEqual(summarize([10, 30, 20, 40]), { median: 25, min: 10, max: 40, count: 4 });
});

Deno.test("median() rejects an empty sample set", () => {
  assert.throws(() => median([]), { name: "RangeError", message: /median of no samples/ });
});

Deno.test("summarize() rejects a non-finite sample", () => {
  assert.throws(() => summarize([1, NaN]), { name: "RangeError", message: /not a finite/ });
});
