import assert from "node:assert/strict";
import { parseSvStatus } from "./runit.ts";

Deno.test("parseSvStatus() keeps running services with their pids", () => {
  const text = [
    "run: s0: (pid 1722) 2s",
    "down: s1: 3s, normally up",
    "warning: s2: unable to open supervise/ok: file does not exist",
    "run: /tmp/d/service/s3: (pid 1723) 12s; run: log: (pid 1800) 12s",
    "fail: s4: runsv not running",
  ].join("\n");
  assert.deepEqual(parseSvStatus(text), new Map([["s0", 1722], ["s3", 1723]]));
});
