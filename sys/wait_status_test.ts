import assert from "node:assert/strict";
import { decodeWaitStatus } from "./wait_status.ts";

Deno.test("decodeWaitStatus() decodes exits, signals and stops", () => {
  assert.deepEqual(decodeWaitStatus(7 << 8), { code: 7 });
  assert.deepEqual(decodeWaitStatus(9), { signal: 9 });
  assert.deepEqual(decodeWaitStatus(15 | 0x80), { signal: 15 }, "core dumped");
  assert.equal(decodeWaitStatus((19 << 8) | 0x7f), null);
});
