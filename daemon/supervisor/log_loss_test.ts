/**
 * Nothing a job prints is lost without a word (docs/job-files.md#console-log-when-the-disk-fails):
 * a full disk and a read-only log directory, for real, in a private mount namespace per run
 * (`unshare --mount`; the mounts vanish with it). Needs root.
 */
import assert from "node:assert/strict";

const IS_ROOT = Deno.uid() === 0;

interface Outcome {
  status: unknown;
  produced: number;
  written: number;
  reported: number;
  beforeFix: number;
  afterNotify: number;
  lastLine: string | null;
  secondHalf: number;
  messages: string[];
}

/** Runs `testdata/log_loss.ts SCENARIO` with DIR prepared by `mount` in a new namespace. */
async function scenario(name: "full" | "readonly"): Promise<Outcome> {
  const dir = Deno.makeTempDirSync({ prefix: "log-loss-" });
  const gate = `${Deno.makeTempDirSync({ prefix: "log-loss-gate-" })}/go`;
  const mount = name === "full"
    ? 'mount -t tmpfs -o size=256k tmpfs "$1"'
    : 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1"';
  const script = new URL("./testdata/log_loss.ts", import.meta.url).pathname;
  try {
    const out = await new Deno.Command("unshare", {
      args: [
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        `${mount} && exec "$2" run -A "$3" "$4" "$1" "$5"`,
        "sh",
        dir,
        Deno.execPath(),
        script,
        name,
        gate,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    if (!out.success) throw new Error(`${name}: ${new TextDecoder().decode(out.stderr)}`);
    return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
  } finally {
    Deno.removeSync(dir, { recursive: true });
    Deno.removeSync(gate.slice(0, gate.lastIndexOf("/")), { recursive: true });
  }
}

Deno.test({
  name: "a full disk: output dropped is reported, and capture resumes once space is freed",
  ignore: !IS_ROOT,
  fn: async () => {
    const r = await scenario("full");
    assert.deepEqual(r.status, { code: 0 });
    assert.ok(r.beforeFix < r.produced / 2, `little fits on the full disk (${r.beforeFix})`);
    // No restart, no notify: the job's later output reaches the file.
    assert.equal(r.secondHalf, 1000, r.messages.join("\n"));
    assert.equal(r.lastLine, "line 02000");
    // Every byte is in the file or in the daemon's log.
    assert.ok(r.reported > 0);
    assert.equal(r.written + r.reported, r.produced, r.messages.join("\n"));
    assert.match(
      r.messages[0]!,
      /^warn: logjob: \d+ bytes of output dropped: .*logjob\.log: No space left on device$/,
    );
    assert.match(r.messages.at(-1)!, /^info: logjob: output written to .*logjob\.log again$/);
  },
});

Deno.test({
  name: "a read-only log dir: a bounded buffer, reported drops, flushed by notify while running",
  ignore: !IS_ROOT,
  fn: async () => {
    const r = await scenario("readonly");
    assert.deepEqual(r.status, { code: 0 });
    assert.equal(r.beforeFix, 0, "nothing can be written while read-only");
    // notify-disk-writeable wrote the running job's 64 KiB buffer at once.
    assert.equal(r.afterNotify, 64 * 1024);
    assert.equal(r.secondHalf, 1000);
    assert.equal(r.reported, 100_000 - 64 * 1024);
    assert.equal(r.written + r.reported, r.produced, r.messages.join("\n"));
    assert.match(
      r.messages[0]!,
      /^warn: logjob: \d+ bytes of output dropped: .*: Read-only file system$/,
    );
  },
});
