import assert from "node:assert/strict";
import fc from "fast-check";
import { FIFO_LINE_MAX, type FifoItem, FifoLineReader, parseFifoLine } from "./fifo_protocol.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("fifo: emit and telinit lines become requests", () => {
  assert.deepEqual(parseFifoLine("emit filesystem"), {
    kind: "emit",
    name: "filesystem",
    env: [],
  });
  assert.deepEqual(parseFifoLine("emit mounted  MOUNTPOINT=/data TYPE=ext4 "), {
    kind: "emit",
    name: "mounted",
    env: ["MOUNTPOINT=/data", "TYPE=ext4"],
  });
  assert.deepEqual(parseFifoLine("telinit 2"), { kind: "telinit", args: ["2"] });
  assert.deepEqual(parseFifoLine("telinit RUNLEVEL= 2"), {
    kind: "telinit",
    args: ["2"],
    runlevel: "",
  });
  assert.deepEqual(parseFifoLine("telinit RUNLEVEL=S u"), {
    kind: "telinit",
    args: ["u"],
    runlevel: "S",
  });
});

Deno.test("fifo: bad lines are typed rejections", () => {
  const reason = (line: string) => {
    const item = parseFifoLine(line);
    return item.kind === "rejected" ? item.reason : null;
  };
  assert.equal(reason("emit"), "missing-argument");
  assert.equal(reason("telinit"), "missing-argument");
  assert.equal(reason("telinit RUNLEVEL=2"), "missing-argument");
  assert.equal(reason("start svc"), "unknown-command");
  assert.equal(reason("EMIT x"), "unknown-command");
  assert.equal(reason("emit\tx"), "control-character");
  assert.equal(reason("emit x\r"), "control-character");
  assert.equal(reason("emit x A=\u007f"), "control-character");
});

Deno.test("fifo: the reader splits across reads, skips blank lines, refuses bad UTF-8", () => {
  const r = new FifoLineReader();
  assert.deepEqual(r.push(bytes("emit a\n\n  \nemi")), [{ kind: "emit", name: "a", env: [] }]);
  assert.equal(r.pending, 3);
  assert.deepEqual(r.push(bytes("t b X=1")), []);
  assert.deepEqual(r.push(bytes("\n")), [{ kind: "emit", name: "b", env: ["X=1"] }]);
  assert.equal(r.pending, 0);
  const bad = r.push(new Uint8Array([0x65, 0xff, 0x0a, ...bytes("telinit 2\n")]));
  assert.deepEqual(bad.map((i) => i.kind), ["rejected", "telinit"]);
  assert.equal(bad[0]?.kind === "rejected" && bad[0].reason, "not-utf8");
});

Deno.test("fifo: a line over PIPE_BUF is refused once and skipped to its newline", () => {
  const r = new FifoLineReader();
  const longest = `emit ${"x".repeat(FIFO_LINE_MAX - 1 - 5)}`;
  assert.equal(longest.length, FIFO_LINE_MAX - 1);
  assert.deepEqual(r.push(bytes(`${longest}\n`)).map((i) => i.kind), ["emit"]);
  const items = [
    ...r.push(bytes(`${longest}x`)),
    ...r.push(bytes("more and more")),
    ...r.push(bytes("\nemit after\n")),
  ];
  assert.deepEqual(items, [
    { kind: "rejected", reason: "too-long", detail: `line longer than ${FIFO_LINE_MAX - 1} bytes` },
    { kind: "emit", name: "after", env: [] },
  ]);
});

/** Whether `item` is one of the outcomes the daemon knows. */
function wellFormed(item: FifoItem): boolean {
  switch (item.kind) {
    case "emit":
      return item.name !== "" && !item.name.includes(" ") && item.env.every((w) => w !== "");
    case "telinit":
      return item.args.length > 0 && item.args.every((w) => w !== "" && !w.includes(" "));
    case "rejected":
      return [
        "too-long",
        "not-utf8",
        "control-character",
        "unknown-command",
        "missing-argument",
      ].includes(item.reason) && item.detail !== "";
  }
}

Deno.test("fifo: any bytes, in any chunks, give requests or typed rejections, never a throw", () => {
  // Bytes biased towards the protocol's own words, newlines and long runs.
  const chunk = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.constantFrom("emit ", "telinit ", "RUNLEVEL=", "2", "\n", " ", "A=b", "x".repeat(5000))
      .map(bytes),
  );
  fc.assert(
    fc.property(
      fc.array(chunk, { maxLength: 40 }),
      fc.integer({ min: 2, max: 64 }),
      (parts, max) => {
        const r = new FifoLineReader(max);
        let lines = 0;
        for (const part of parts) {
          for (const item of r.push(part)) {
            assert.ok(wellFormed(item), JSON.stringify(item));
            lines++;
          }
          assert.ok(r.pending < max, "never holds more than a line's worth");
        }
        const newlines = parts.reduce((n, p) => n + p.filter((b) => b === 0x0a).length, 0);
        // One outcome per line at most, plus one refusal per overlong line.
        assert.ok(lines <= 2 * newlines + 1);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("fifo: a line of plain words round-trips through the reader", () => {
  const word = fc.stringMatching(/^[A-Za-z0-9_.,:\/@%+-]{1,12}$/);
  fc.assert(
    fc.property(word, fc.array(fc.tuple(word, word)), (name, pairs) => {
      const env = pairs.map(([k, v]) => `${k}=${v}`);
      const items = new FifoLineReader().push(bytes(`emit ${[name, ...env].join(" ")}\n`));
      assert.deepEqual(items, [{ kind: "emit", name, env }]);
    }),
  );
});
