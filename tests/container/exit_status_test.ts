/**
 * Container mode's exit status (see docs/container.md): the main process's code, 128+N when it
 * died of signal N, 127/126 when CMD cannot be found or run, non-zero for an unknown option;
 * checked against tini, which the table must agree with. Nothing is written to stdout.
 */
import assert from "node:assert/strict";
import { INIT, SETUPS, startInit, tempDir } from "./_harness.ts";

const TABLE: readonly [string, string, number][] = [
  ["exit 0", "exit 0", 0],
  ["exit 1", "exit 1", 1],
  ["exit 2", "exit 2", 2],
  ["exit 7", "exit 7", 7],
  ["exit 127", "exit 127", 127],
  ["exit 254", "exit 254", 254],
  ["exit 255", "exit 255", 255],
  ["TERM", "kill -TERM $$", 143],
  ["KILL", "kill -KILL $$", 137],
  ["HUP", "kill -HUP $$", 129],
  ["QUIT", "kill -QUIT $$", 131],
];

for (const setup of SETUPS) {
  Deno.test(`[${setup}] exit status table`, async () => {
    const runs = await Promise.all(TABLE.map(async ([, script]) => {
      await using init = startInit(setup, ["--container", "--", "sh", "-c", script]);
      return await init.result();
    }));
    TABLE.forEach(([name, , want], i) => {
      const r = runs[i]!;
      assert.equal(r.code, want, `${name}: ${r.stderr}`);
      assert.equal(r.signal, null, `${name}: init itself must not die of a signal`);
      assert.equal(r.stdout, "", `${name}: init writes nothing to stdout`);
    });
  });

  Deno.test(`[${setup}] CMD not found → 127, not executable → 126, with a message`, async () => {
    {
      await using init = startInit(setup, ["--container", "--", "no-such-command-xyz"]);
      const r = await init.result();
      assert.equal(r.code, 127);
      assert.match(r.stderr, /no-such-command-xyz/);
      assert.equal(r.stdout, "");
    }
    {
      await using dir = await tempDir();
      const file = `${dir.path}/not-executable`;
      await Deno.writeTextFile(file, "#!/bin/sh\nexit 0\n", { mode: 0o644 });
      await using init = startInit(setup, ["--container", "--", file]);
      const r = await init.result();
      assert.equal(r.code, 126);
      assert.match(r.stderr, /not-executable/);
    }
    {
      await using init = startInit(setup, ["--container", "--", "/etc"]);
      const r = await init.result();
      assert.equal(r.code, 126, "a directory is not executable");
    }
  });
}

Deno.test("the table agrees with tini's and dumb-init's", async () => {
  for (const [name, script, want] of TABLE) {
    for (const [init, args] of [["tini", ["-s", "--"]], ["dumb-init", ["--"]]] as const) {
      // Started with every signal's default action, as init gives its main process: tini and
      // dumb-init pass on what they inherit, and a test run as a background job of a shell
      // without job control ignores SIGQUIT.
      const out = await new Deno.Command("env", {
        args: ["--default-signal", init, ...args, "sh", "-c", script],
      }).output();
      assert.equal(out.code, want, `${init} ${name}`);
    }
  }
});

Deno.test("stdin, stdout and stderr are the main process's own", async () => {
  const child = new Deno.Command(INIT, {
    args: ["--container", "--", "sh", "-c", "cat; echo err >&2"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode("from stdin\n"));
  await w.close();
  const out = await child.output();
  assert.equal(out.code, 0);
  assert.equal(new TextDecoder().decode(out.stdout), "from stdin\n");
  assert.equal(new TextDecoder().decode(out.stderr), "err\n");
});

Deno.test("an unknown option: non-zero exit, a message and the usage", async () => {
  await using init = startInit("plain", ["--container", "--no-such-option", "--", "true"]);
  const r = await init.result();
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /no-such-option/);
  assert.match(r.stderr, /Usage: init --container/);
  assert.equal(r.stdout, "");
});

Deno.test("no command: non-zero exit and the usage", async () => {
  await using init = startInit("plain", ["--container"]);
  const r = await init.result();
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Usage: init --container/);
});

Deno.test("options after CMD belong to CMD; `--` is optional", async () => {
  await using init = startInit("plain", [
    "--container",
    "--grace-period",
    "1",
    "sh",
    "-c",
    "exit $#",
    "x",
    "--bogus",
    "--socket",
    "y",
  ]);
  const r = await init.result();
  assert.equal(r.code, 3, r.stderr);
});

Deno.test("the main process gets init's environment, without the launcher's variables", async () => {
  await using init = startInit("plain", ["--container", "--", "env"], {
    env: { CONTAINER_PROBE: "a b", RUST_BACKTRACE: "full" },
  });
  const r = await init.result();
  assert.equal(r.code, 0);
  const lines = r.stdout.split("\n");
  assert.ok(lines.includes("CONTAINER_PROBE=a b"));
  assert.ok(lines.includes("RUST_BACKTRACE=full"), "a variable the launcher overrides is restored");
  const launcher = [
    "DENO_DIR",
    "DENO_DISABLE_NODE_SHIM",
    "DENO_NO_UPDATE_CHECK",
    "NO_COLOR",
    "DAYBREAK_ROOT",
    "DAYBREAK_DENO",
    "DAYBREAK_CONTAINER_SAVED_ENV",
    "DAYBREAK_CONTAINER_SIGIGN",
  ];
  for (const v of launcher) {
    const mine = Deno.env.get(v);
    const seen = lines.find((l) => l.startsWith(`${v}=`));
    assert.equal(seen, mine === undefined ? undefined : `${v}=${mine}`, v);
  }
});
