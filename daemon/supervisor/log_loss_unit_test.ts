import assert from "node:assert/strict";
import { LogFile, type LogLoss } from "./log_file.ts";

const enc = (s: string) => new TextEncoder().encode(s);

function recorder(): { losses: LogLoss[]; onLoss: (l: LogLoss) => void } {
  const losses: LogLoss[] = [];
  return { losses, onLoss: (l) => losses.push(l) };
}

Deno.test("LogFile reports bytes dropped after ENOSPC at once, then at most every reportMs", () => {
  let t = 0;
  const { losses, onLoss } = recorder();
  const log = new LogFile("/dev/full", { onLoss, reportMs: 1000, now: () => t });
  log.write(enc("abc\n"));
  assert.deepEqual(losses, [{ path: "/dev/full", bytes: 4, reason: "ENOSPC", resumed: false }]);
  log.write(enc("de\n"));
  t = 999;
  log.write(enc("f\n"));
  assert.equal(losses.length, 1, "throttled");
  t = 1000;
  log.write(enc("g\n"));
  assert.deepEqual(losses.at(-1), {
    path: "/dev/full",
    bytes: 7,
    reason: "ENOSPC",
    resumed: false,
  });
  log.write(enc("hi\n"));
  assert.equal(log.close(), true);
  // close() reports the rest: every byte is in some report.
  assert.equal(losses.reduce((n, l) => n + l.bytes, 0), 14);
  assert.equal(log.dropped, 14);
});

Deno.test("LogFile reports a full memory buffer and says when output flows again", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const { losses, onLoss } = recorder();
    const log = new LogFile(`${dir}/later/job.log`, { maxBuffer: 4, onLoss });
    log.write(enc("0123456789"));
    assert.deepEqual(losses, [{
      path: `${dir}/later/job.log`,
      bytes: 6,
      reason: "ENOENT",
      resumed: false,
    }]);
    Deno.mkdirSync(`${dir}/later`);
    log.write(enc("ab"));
    assert.deepEqual(losses.at(-1)?.resumed, true);
    log.close();
    assert.equal(Deno.readTextFileSync(`${dir}/later/job.log`), "0123ab");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("LogFile.abandon() drops and reports what is still buffered", () => {
  const { losses, onLoss } = recorder();
  const log = new LogFile("/nonexistent-dir/x/job.log", { onLoss });
  log.write(enc("kept\n"));
  assert.equal(losses.length, 0, "buffered, not lost");
  assert.equal(log.close(), false);
  assert.equal(log.abandon(), 5);
  assert.deepEqual(losses, [{
    path: "/nonexistent-dir/x/job.log",
    bytes: 5,
    reason: "ENOENT",
    resumed: false,
  }]);
  assert.equal(log.buffered, 0);
});

Deno.test("LogFile.reopen() opens the path afresh and writes what was buffered", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/job.log`;
    const log = new LogFile(path);
    log.write(enc("one\n"));
    Deno.renameSync(path, `${dir}/old.log`);
    assert.equal(log.reopen(), true);
    log.write(enc("two\n"));
    log.close();
    assert.equal(Deno.readTextFileSync(`${dir}/old.log`), "one\n");
    assert.equal(Deno.readTextFileSync(path), "two\n");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("LogFile survives a reporter that throws", () => {
  const log = new LogFile("/dev/full", {
    onLoss: () => {
      throw new Error("boom");
    },
  });
  log.write(enc("x"));
  assert.equal(log.dropped, 1);
});
