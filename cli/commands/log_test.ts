import assert from "node:assert/strict";
import { join } from "node:path";
import { runInitctl } from "../_fake_client.ts";
import { LogText, tailBytes } from "./log.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function crlfLines(from: number, to: number): string {
  let text = "";
  for (let i = from; i <= to; i++) text += `line ${i}\r\n`;
  return text;
}

async function tail(path: string, lines: number): Promise<string> {
  using file = await Deno.open(path);
  const { size } = await file.stat();
  return new TextDecoder().decode(await tailBytes(file, size, lines));
}

Deno.test("tailBytes() returns the last lines, a final partial line counting as one", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a.log");
    await Deno.writeTextFile(path, "one\ntwo\nthree\n");
    assert.equal(await tail(path, 2), "two\nthree\n");
    assert.equal(await tail(path, 3), "one\ntwo\nthree\n");
    assert.equal(await tail(path, 9), "one\ntwo\nthree\n");
    assert.equal(await tail(path, 0), "");
    await Deno.writeTextFile(path, "one\ntwo\npartial");
    assert.equal(await tail(path, 1), "partial");
    assert.equal(await tail(path, 2), "two\npartial");
    await Deno.writeTextFile(path, "");
    assert.equal(await tail(path, 5), "");
  });
});

Deno.test("tailBytes() reads across its 64 KiB chunks", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "big.log");
    const long = "x".repeat(70000);
    await Deno.writeTextFile(path, `first\n${long}\nlast\n`);
    assert.equal(await tail(path, 2), `${long}\nlast\n`);
    assert.equal(await tail(path, 3), `first\n${long}\nlast\n`);
    const many = crlfLines(1, 20000);
    await Deno.writeTextFile(path, many);
    assert.equal(await tail(path, 3), crlfLines(19998, 20000));
  });
});

Deno.test("LogText turns CRLF into LF, also when split between chunks", () => {
  const text = new LogText();
  const bytes = new TextEncoder().encode("a\r\nb\r");
  assert.equal(text.push(bytes), "a\nb");
  assert.equal(text.push(new TextEncoder().encode("\nc\r")), "\nc");
  assert.equal(text.push(new Uint8Array(0), true), "\r");
  const split = new LogText();
  const euro = new TextEncoder().encode("€\r\n");
  assert.equal(split.push(euro.subarray(0, 2)) + split.push(euro.subarray(2)), "€\n");
});

Deno.test("log prints the last 10 lines by default, -n N otherwise", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "svc.log");
    await Deno.writeTextFile(path, crlfLines(1, 30));
    const handlers = { "job.logPath": () => ({ path }) };
    const r = await runInitctl(["log", "svc"], { handlers });
    assert.equal(r.status, 0);
    assert.equal(r.stdout, crlfLines(21, 30).replaceAll("\r\n", "\n"));
    assert.deepEqual(r.calls, [{ method: "job.logPath", params: { job: "svc", env: [] } }]);
    const three = await runInitctl(["log", "-n", "3", "svc", "I=a"], { handlers });
    assert.equal(three.stdout, "line 28\nline 29\nline 30\n");
    assert.deepEqual(three.calls[0]?.params, { job: "svc", env: ["I=a"] });
    const none = await runInitctl(["log", "--lines=0", "svc"], { handlers });
    assert.equal(none.stdout, "");
  });
});

Deno.test("log rejects a bad line count", async () => {
  const r = await runInitctl(["log", "-n", "ten", "svc"]);
  assert.equal(r.status, 1);
  assert.equal(
    r.stderr,
    "initctl: invalid line count: ten\nTry `initctl --help' for more information.\n",
  );
  assert.deepEqual(r.calls, []);
});

Deno.test("log fails clearly when the job has no log or the file is missing", async () => {
  const none = await runInitctl(["log", "svc"], {
    handlers: { "job.logPath": () => ({ path: null }) },
  });
  assert.equal(none.status, 1);
  assert.equal(none.stderr, "initctl: Job does not log to a file: svc\n");
  const missing = await runInitctl(["log", "svc"], {
    handlers: { "job.logPath": () => ({ path: "/nonexistent/svc.log" }) },
  });
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr, "initctl:/nonexistent/svc.log: No such file or directory\n");
});

Deno.test("log inside a job reads the caller's own log", async () => {
  const r = await runInitctl(["log"], {
    env: { UPSTART_JOB: "svc", UPSTART_INSTANCE: "i1" },
    handlers: { "job.logPath": () => ({ path: null }) },
  });
  assert.deepEqual(r.calls, [{
    method: "job.logPath",
    params: { job: "svc", env: [], instance: "i1" },
  }]);
});

Deno.test("log -f follows appended output, a truncation and a late file", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "svc.log");
    await Deno.writeTextFile(path, "old 1\r\nold 2\r\n");
    const stop = new AbortController();
    let stdout = "";
    const seen = (text: string) =>
      (async () => {
        for (const end = Date.now() + 15_000; !stdout.includes(text) && Date.now() < end;) {
          await new Promise((r) => setTimeout(r, 5));
        }
        assert.ok(stdout.includes(text), `waited for ${JSON.stringify(text)} in ${stdout}`);
      })();
    const running = (async () => {
      const { main } = await import("../initctl.ts");
      const { FakeClient } = await import("../_fake_client.ts");
      return await main(["log", "-f", "-n", "1", "svc"], {
        io: { out: (t) => (stdout += t), err: (t) => (stdout += `ERR ${t}`) },
        progName: "initctl",
        env: {},
        client: new FakeClient({ "job.logPath": () => ({ path }) }),
        signal: stop.signal,
        pollMs: 5,
      });
    })();
    await seen("old 2\n");
    assert.equal(stdout, "old 2\n");
    await Deno.writeTextFile(path, "new 3\r\n", { append: true });
    await seen("new 3\n");
    await Deno.writeTextFile(path, "fresh\r\n");
    await seen("fresh\n");
    await Deno.remove(path);
    await new Promise((r) => setTimeout(r, 30));
    await Deno.writeTextFile(path, "back\r\n");
    await seen("back\n");
    stop.abort();
    assert.equal(await running, 0);
    assert.equal(stdout, "old 2\nnew 3\nfresh\nback\n");
  });
});

Deno.test("log -f waits for a file that does not exist yet", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "late.log");
    const stop = new AbortController();
    let stdout = "";
    const { main } = await import("../initctl.ts");
    const { FakeClient } = await import("../_fake_client.ts");
    const running = main(["log", "--follow", "svc"], {
      io: { out: (t) => (stdout += t), err: (t) => (stdout += `ERR ${t}`) },
      progName: "initctl",
      env: {},
      client: new FakeClient({ "job.logPath": () => ({ path }) }),
      signal: stop.signal,
      pollMs: 5,
    });
    await new Promise((r) => setTimeout(r, 20));
    await Deno.writeTextFile(path, "hello\r\n");
    for (const end = Date.now() + 15_000; stdout === "" && Date.now() < end;) {
      await new Promise((r) => setTimeout(r, 5));
    }
    stop.abort();
    assert.equal(await running, 0);
    assert.equal(stdout, "hello\n");
  });
});
