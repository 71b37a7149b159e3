import assert from "node:assert/strict";
import { applyOverride, parseJobConfig } from "./parse_job.ts";

// Parsed specs share their empty lists and default values (docs/behaviour.md#memory): none of
// them may leak into another spec.

Deno.test("empty lists and the default respawn limit are one frozen value for all specs", () => {
  const a = parseJobConfig("exec a\n", { name: "a" });
  const b = parseJobConfig("exec b\n", { name: "b" });
  for (const key of ["env", "export", "emits", "normalExit", "cgroups", "delegates"] as const) {
    assert.equal(a[key], b[key], key);
    assert.equal(Object.isFrozen(a[key]), true, key);
  }
  assert.equal(a.respawnLimit, b.respawnLimit);
  assert.deepEqual(a.respawnLimit, { count: 10, interval: 5 });
  assert.equal(a.limits, b.limits);
  assert.deepEqual(a.limits, {});
});

Deno.test("stanzas still fill a spec's own lists, and overrides never touch the shared ones", () => {
  const plain = parseJobConfig("exec a\n", { name: "plain" });
  const withEnv = parseJobConfig("env A=1\nrespawn limit 3 9\nlimit nofile 5 6\nexec b\n", {
    name: "env",
  });
  assert.deepEqual(withEnv.env, ["A=1"]);
  assert.deepEqual(withEnv.respawnLimit, { count: 3, interval: 9 });
  assert.deepEqual(withEnv.limits, { nofile: [5, 6] });
  const over = applyOverride(plain, "env B=2\nexport B\nemits thing\nnormal exit 3\n", {
    file: "/etc/init/plain.override",
  });
  assert.deepEqual(over.env, ["B=2"]);
  assert.deepEqual(over.export, ["B"]);
  assert.deepEqual(over.emits, ["thing"]);
  assert.deepEqual(over.normalExit, [{ kind: "status", value: 3 }]);
  assert.deepEqual(plain.env, [], "the base spec keeps its empty list");
  assert.deepEqual(parseJobConfig("exec c\n", { name: "c" }).env, [], "and so does a new spec");
});
