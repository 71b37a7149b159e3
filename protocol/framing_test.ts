import assert from "node:assert/strict";
import fc from "fast-check";
import { LineSplitter, LineTooLongError } from "./framing.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("LineSplitter yields complete lines across chunk boundaries", () => {
  const s = new LineSplitter(100);
  assert.deepEqual(s.push(enc('{"a":')), []);
  assert.deepEqual(s.push(enc('1}\n{"b"')), ['{"a":1}']);
  assert.deepEqual(s.push(enc(":2}\n\n")), ['{"b":2}', ""]);
});

Deno.test("LineSplitter refuses a line longer than the limit, even without a newline", () => {
  const s = new LineSplitter(8);
  assert.throws(() => s.push(enc("0123456789")), LineTooLongError);
  const t = new LineSplitter(8);
  t.push(enc("01234"));
  assert.throws(() => t.push(enc("56789\n")), LineTooLongError);
});

Deno.test("LineSplitter keeps multi-byte characters split between chunks", () => {
  const bytes = enc("héllo\n");
  const s = new LineSplitter(100);
  assert.deepEqual(s.push(bytes.subarray(0, 2)), []);
  assert.deepEqual(s.push(bytes.subarray(2)), ["héllo"]);
});

Deno.test("LineSplitter gives back the same lines whatever the chunking", () => {
  fc.assert(
    fc.property(
      fc.array(fc.string().filter((l) => !l.includes("\n")), { maxLength: 8 }),
      fc.array(fc.nat(20), { maxLength: 10 }),
      (lines, cuts) => {
        const bytes = enc(lines.map((l) => `${l}\n`).join(""));
        const s = new LineSplitter(1 << 20);
        const out: string[] = [];
        let pos = 0;
        for (const c of cuts) {
          out.push(...s.push(bytes.subarray(pos, pos + c)));
          pos = Math.min(bytes.length, pos + c);
        }
        out.push(...s.push(bytes.subarray(pos)));
        assert.deepEqual(out, lines);
      },
    ),
  );
});
