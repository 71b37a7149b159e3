import assert from "node:assert/strict";
import { join } from "node:path";
import { main, type ShellChecker } from "./init_checkconf.ts";
import { RecordingOutput } from "./io.ts";

async function withFiles(
  files: Record<string, string>,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "checkconf-" });
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(join(dir, name), text);
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const noShell: ShellChecker = () => Promise.resolve(null);

Deno.test("init-checkconf prints `syntax ok` and exits 0 for a valid file", async () => {
  await withFiles({ "svc.conf": "exec sleep 10\nrespawn\n" }, async (dir) => {
    const io = new RecordingOutput();
    assert.equal(await main([join(dir, "svc.conf")], io, noShell), 0);
    assert.equal(io.stdout, `File ${join(dir, "svc.conf")}: syntax ok\n`);
    assert.equal(io.stderr, "");
  });
});

Deno.test("init-checkconf reports FILE:LINE:COL on stderr and exits 1 for a syntax error", async () => {
  await withFiles({ "bad.conf": "description ok\n  Exec foo\n" }, async (dir) => {
    const io = new RecordingOutput();
    const file = join(dir, "bad.conf");
    assert.equal(await main([file], io, noShell), 1);
    assert.equal(io.stdout, "");
    assert.equal(io.stderr, `ERROR: File ${file}: syntax invalid:\n${file}:2:3: Unknown stanza\n`);
  });
});

Deno.test("init-checkconf checks every file and exits 1 when any is bad", async () => {
  await withFiles({ "a.conf": "task\n", "b.conf": "nice 40\n" }, async (dir) => {
    const io = new RecordingOutput();
    assert.equal(await main([join(dir, "a.conf"), join(dir, "b.conf")], io, noShell), 1);
    assert.match(io.stdout, /a\.conf: syntax ok/);
    assert.match(io.stderr, /b\.conf:1:6: Illegal nice value, expected -20 to 19/);
  });
});

Deno.test("init-checkconf rejects missing files and names without .conf", async () => {
  await withFiles({ "job.txt": "task\n" }, async (dir) => {
    const io = new RecordingOutput();
    assert.equal(await main([join(dir, "nope.conf"), join(dir, "job.txt")], io, noShell), 1);
    assert.equal(
      io.stderr,
      `ERROR: File ${join(dir, "nope.conf")} does not exist\nERROR: File must end in .conf\n`,
    );
  });
});

Deno.test("init-checkconf applies the .override beside the file", async () => {
  await withFiles(
    { "j.conf": "start on startup\nexec true\n", "j.override": "manual\nenv A=1\n" },
    async (dir) => {
      const io = new RecordingOutput();
      assert.equal(await main(["--json", join(dir, "j.conf")], io, noShell), 0);
      const result = JSON.parse(io.stdout);
      assert.deepEqual(result.fields, {
        manual: true,
        env: ["A=1"],
        processes: { main: { script: false, command: "true" } },
      });
    },
  );
});

Deno.test("init-checkconf reports a broken .override with the override's path", async () => {
  await withFiles({ "j.conf": "exec true\n", "j.override": "bleaugh!\n" }, async (dir) => {
    const io = new RecordingOutput();
    assert.equal(await main([join(dir, "j.conf")], io, noShell), 1);
    assert.match(io.stderr, /j\.override:1:1: Unknown stanza\n$/);
  });
});

Deno.test("init-checkconf runs sh -n on script sections unless -s", async () => {
  const script = "pre-start script\n  if true; then\nend script\nexec true\n";
  await withFiles({ "s.conf": script }, async (dir) => {
    const file = join(dir, "s.conf");
    const io = new RecordingOutput();
    assert.equal(await main([file], io), 1);
    assert.match(
      io.stderr,
      new RegExp(
        `^ERROR: File ${file}: shell syntax invalid in pre-start section:\n.*Syntax error`,
      ),
    );
    const quiet = new RecordingOutput();
    assert.equal(await main(["-s", file], quiet), 0);
  });
});

Deno.test("init-checkconf --json prints one object per file with the error", async () => {
  await withFiles({ "bad.conf": "kill timeout soon\n", "ok.conf": "" }, async (dir) => {
    const io = new RecordingOutput();
    assert.equal(
      await main(["--json", join(dir, "bad.conf"), join(dir, "ok.conf")], io, noShell),
      1,
    );
    const [bad, ok] = io.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(bad, {
      file: join(dir, "bad.conf"),
      name: "bad",
      ok: false,
      error: {
        kind: "ILLEGAL_INTERVAL",
        message: "Illegal interval, expected number of seconds",
        line: 1,
        column: 14,
      },
      fields: {},
    });
    assert.deepEqual(ok, {
      file: join(dir, "ok.conf"),
      name: "ok",
      ok: true,
      error: null,
      fields: {},
    });
  });
});

Deno.test("init-checkconf --json renders every field convention", async () => {
  const text = [
    "normal exit 0 2 TERM SIGHUP",
    "umask 27",
    "limit nofile 1024 unlimited",
    "kill signal SIGINT",
    "reload signal 40",
    "oom score never",
    "respawn limit 3 10",
    "env A=1",
    "env A=2",
    "start on a and (b or c K=v)",
    "script",
    "  echo hi",
    "end script",
    "",
  ].join("\n");
  await withFiles({ "f.conf": text }, async (dir) => {
    const io = new RecordingOutput();
    assert.equal(await main(["--json", join(dir, "f.conf")], io, noShell), 0);
    assert.deepEqual(JSON.parse(io.stdout).fields, {
      respawn_limit: 3,
      respawn_interval: 10,
      normal_exit: [0, 2, "TERM", "HUP"],
      kill_signal: "INT",
      reload_signal: 40,
      umask: "0027",
      oom_score_adj: -1000,
      limits: { nofile: [1024, "unlimited"] },
      env: ["A=1", "A=2"],
      start_on: "(a and (b or c K=v))",
      processes: { main: { script: true, command: "echo hi\n" } },
    });
  });
});

Deno.test("init-checkconf --upstart reports each extension stanza, override included, and exits 1", async () => {
  await withFiles({
    "box.conf": "exec true\n  private-tmp\nhostname box\ncapabilities none\n",
    "box.override": "delegate all alice\n",
  }, async (dir) => {
    const io = new RecordingOutput();
    const file = join(dir, "box.conf");
    assert.equal(await main(["--upstart", file], io, noShell), 1);
    assert.equal(io.stdout, "");
    const message = "daybreak extension stanza not supported by Upstart";
    assert.equal(
      io.stderr,
      [
        `${file}:2:3: ${message}: private-tmp`,
        `${file}:3:1: ${message}: hostname`,
        `${file}:4:1: ${message}: capabilities`,
        `${join(dir, "box.override")}:1:1: ${message}: delegate`,
        "",
      ].join("\n"),
    );
  });
});

Deno.test("init-checkconf accepts extension stanzas without --upstart, and portable files with it", async () => {
  await withFiles({
    "box.conf": "exec true\nno-new-privileges\nprotect-system\n",
    "plain.conf": "exec true\nsetuid nobody\n",
  }, async (dir) => {
    const io = new RecordingOutput();
    assert.equal(await main([join(dir, "box.conf")], io, noShell), 0);
    assert.equal(io.stdout, `File ${join(dir, "box.conf")}: syntax ok\n`);
    const strict = new RecordingOutput();
    assert.equal(await main(["--upstart", join(dir, "plain.conf")], strict, noShell), 0);
    assert.equal(strict.stdout, `File ${join(dir, "plain.conf")}: syntax ok\n`);
    assert.equal(strict.stderr, "");
  });
});

Deno.test("init-checkconf --upstart --json gives the first use as the error and keeps the fields", async () => {
  await withFiles(
    { "n.conf": "exec true\nprivate-network\nread-only-paths /etc\n" },
    async (dir) => {
      const io = new RecordingOutput();
      assert.equal(await main(["--upstart", "--json", join(dir, "n.conf")], io, noShell), 1);
      const result = JSON.parse(io.stdout);
      assert.equal(result.ok, false);
      assert.deepEqual(result.error, {
        kind: "EXTENSION_STANZA",
        message: "daybreak extension stanza not supported by Upstart: private-network",
        line: 2,
        column: 1,
      });
      assert.deepEqual(result.fields.private_network, true);
      assert.deepEqual(result.fields.read_only_paths, ["/etc"]);
    },
  );
});

Deno.test("init-checkconf --upstart still reports a syntax error in an extension stanza as such", async () => {
  await withFiles({ "bad.conf": "capabilities net_frob\n" }, async (dir) => {
    const io = new RecordingOutput();
    const file = join(dir, "bad.conf");
    assert.equal(await main(["--upstart", file], io, noShell), 1);
    assert.equal(
      io.stderr,
      `ERROR: File ${file}: syntax invalid:\n${file}:1:14: Illegal capability name\n`,
    );
  });
});
