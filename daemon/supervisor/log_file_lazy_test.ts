import assert from "node:assert/strict";
import { LogFile } from "./log_file.ts";

// A log keeps no list of waiting output until output has to wait, and drops it once written
// (docs/behaviour.md#memory); every log still keeps its own lines, in order, and loses none.

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("logs that wait for their directory each keep their own lines, in order, twice over", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const sub = `${dir}/later`;
    const a = new LogFile(`${sub}/a.log`);
    const b = new LogFile(`${sub}/b.log`);
    const expected = { a: "", b: "" };
    const writeBoth = (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        a.write(enc(`a${i}\n`));
        expected.a += `a${i}\n`;
        b.write(enc(`b${i}\n`));
        expected.b += `b${i}\n`;
      }
    };
    writeBoth(0, 100);
    assert.equal(a.state, "buffering");
    assert.equal(a.buffered, expected.a.length);
    assert.equal(b.buffered, expected.b.length);
    Deno.mkdirSync(sub);
    assert.equal(a.flush(), true);
    assert.equal(a.buffered, 0);
    assert.equal(b.buffered, expected.b.length, "flushing one log leaves the other's output");
    assert.equal(b.flush(), true);
    writeBoth(100, 150); // straight to the open files
    assert.equal(a.close(), true);
    assert.equal(b.close(), true);
    assert.equal(Deno.readTextFileSync(`${sub}/a.log`), expected.a);
    assert.equal(Deno.readTextFileSync(`${sub}/b.log`), expected.b);

    // Waiting again after a flush: a new list, and nothing of the first round comes back.
    Deno.removeSync(sub, { recursive: true });
    expected.a = expected.b = "";
    writeBoth(150, 200);
    assert.equal(a.buffered, expected.a.length);
    assert.equal(b.buffered, expected.b.length);
    Deno.mkdirSync(sub);
    assert.equal(b.close(), true);
    assert.equal(a.close(), true);
    assert.equal(Deno.readTextFileSync(`${sub}/a.log`), expected.a);
    assert.equal(Deno.readTextFileSync(`${sub}/b.log`), expected.b);
    assert.equal(a.dropped + b.dropped, 0);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a log abandoned while waiting can wait again afterwards", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const log = new LogFile(`${dir}/missing/j.log`);
    log.write(enc("lost\n"));
    assert.equal(log.abandon(), 5);
    log.write(enc("kept\n"));
    assert.equal(log.buffered, 5);
    Deno.mkdirSync(`${dir}/missing`);
    assert.equal(log.close(), true);
    assert.equal(Deno.readTextFileSync(`${dir}/missing/j.log`), "kept\n");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
