import assert from "node:assert/strict";
import { LineStamper, STAMP_PATTERN } from "./log_timestamps.ts";

const decode = (b: Uint8Array) => new TextDecoder().decode(b);
const encode = (s: string) => new TextEncoder().encode(s);

Deno.test("LineStamper stamps every line start, across chunk boundaries", () => {
  let now = Date.UTC(2026, 11, 3, 7, 0, 0, 5);
  const s = new LineStamper(() => now);
  assert.equal(
    decode(s.stamp(encode("a\nb"))),
    "2026-12-03T07:00:00.005Z a\n2026-12-03T07:00:00.005Z b",
  );
  now += 1000;
  // The rest of "b" gets no stamp; the next line does.
  assert.equal(
    decode(s.stamp(encode("c\n\nd\n"))),
    "c\n2026-12-03T07:00:01.005Z \n2026-12-03T07:00:01.005Z d\n",
  );
  assert.equal(decode(s.stamp(encode("e"))), "2026-12-03T07:00:01.005Z e");
  assert.equal(s.stamp(new Uint8Array(0)).length, 0);
  assert.match("2026-12-03T07:00:01.005Z e", STAMP_PATTERN);
});
