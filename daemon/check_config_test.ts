import assert from "node:assert/strict";
import { parseJobConfig } from "../parser/parse_job.ts";
import { checkConfig } from "./check_config.ts";

const jobs = (files: Record<string, string>) =>
  Object.entries(files).map(([name, text]) => parseJobConfig(text, { name }));

Deno.test("checkConfig() reports the spec's example (unknown job and unknown event)", () => {
  const result = checkConfig(jobs({
    cc: "start on started grape\nstop on peach\n",
    ok: "start on startup\n",
  }));
  assert.deepEqual(result, [
    { job: "cc", problems: ["start on: unknown job grape", "stop on: unknown event peach"] },
  ]);
});

Deno.test("checkConfig() knows events other jobs emit, by glob", () => {
  const result = checkConfig(jobs({
    emitter: "emits net-device-* custom\n",
    user: "start on net-device-up IFACE!=lo and custom\n",
  }));
  assert.deepEqual(result, []);
});

Deno.test("checkConfig() accepts an `or` with one known branch unless --warn", () => {
  const set = jobs({ j: "start on startup or mystery\n" });
  assert.deepEqual(checkConfig(set), []);
  assert.deepEqual(checkConfig(set, { warn: true }), [
    { job: "j", problems: ["start on: unknown event mystery"] },
  ]);
});

Deno.test("checkConfig() requires both sides of an `and`", () => {
  assert.deepEqual(checkConfig(jobs({ j: "start on startup and mystery\n" })), [
    { job: "j", problems: ["start on: unknown event mystery"] },
  ]);
});

Deno.test("checkConfig() honours --ignore-events, JOB= arguments and $ names", () => {
  const set = jobs({
    a: "start on runlevel [2345]\nstop on stopping JOB=nosuch\n",
    b: "start on started $WHO or stopped JOB=a\n",
  });
  assert.deepEqual(checkConfig(set, { ignoreEvents: ["runlevel"] }), [
    { job: "a", problems: ["stop on: unknown job nosuch"] },
  ]);
  assert.deepEqual(checkConfig(set, { ignoreEvents: ["runlevel"] }, "b"), []);
});
