import assert from "node:assert/strict";
import { parseS6List, parseS6Svstat } from "./s6.ts";

Deno.test("parseS6List() keeps the services that are up with their pids", () => {
  const text = "s0 true 2500\ns1 false -1\ns2 \ns10 true 2612\n";
  assert.deepEqual(parseS6List(text), new Map([["s0", 2500], ["s10", 2612]]));
});

Deno.test("parseS6Svstat() returns the pid of an up service, null otherwise", () => {
  assert.equal(parseS6Svstat("true 2500\n"), 2500);
  assert.equal(parseS6Svstat("false -1\n"), null);
  assert.equal(parseS6Svstat(""), null);
});
