// The `env=NAME,…` word of a `delegate` stanza (issue 14, item 1; `docs/job-files.md`).
import assert from "node:assert/strict";
import { jobClassFields } from "./fields.ts";
import { parseJobConfig } from "./parse_job.ts";
import type { JobClassSpec } from "./types.ts";
import { expected, parseFailure as failure } from "./_test_failure.ts";

function parse(text: string): JobClassSpec {
  return parseJobConfig(text, { name: "test" });
}

Deno.test("delegate env=NAME,… names the variables its callers may pass", () => {
  const job = parse(
    "delegate start alice env=PORT,MODE @ops\ndelegate stop bob env=A env=B,A\ndelegate all carol\n",
  );
  assert.deepEqual(job.delegates, [
    { actions: ["start"], users: ["alice"], groups: ["ops"], env: ["PORT", "MODE"] },
    { actions: ["stop"], users: ["bob"], groups: [], env: ["A", "B"] },
    { actions: ["start", "stop", "restart", "reload"], users: ["carol"], groups: [] },
  ]);
  assert.deepEqual(jobClassFields(job).delegates, [
    { actions: ["start"], users: ["alice"], groups: ["ops"], env: ["PORT", "MODE"] },
    { actions: ["stop"], users: ["bob"], groups: [], env: ["A", "B"] },
    { actions: ["start", "stop", "restart", "reload"], users: ["carol"], groups: [] },
  ]);
});

Deno.test("delegate env= takes shell identifiers and still needs a user or group", () => {
  assert.deepEqual(failure("delegate start a env=\n"), expected("EXPECTED_VARIABLE", 1, 18));
  assert.deepEqual(failure("delegate start a env=1X\n"), expected("EXPECTED_VARIABLE", 1, 18));
  assert.deepEqual(failure("delegate start a env=A,,B\n"), expected("EXPECTED_VARIABLE", 1, 18));
  assert.deepEqual(failure("delegate start a env=A-B\n"), expected("EXPECTED_VARIABLE", 1, 18));
  assert.deepEqual(failure("delegate start env=A\n"), expected("EXPECTED_TOKEN", 1, 21));
});
