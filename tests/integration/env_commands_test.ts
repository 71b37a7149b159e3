/**
 * Environment commands against the real daemon (see docs/behaviour.md#environment,
 * docs/tools.md#environment-commands): `list-env`, `get-env`, `set-env [-r]`, `unset-env`,
 * `reset-env`, the global table reaching jobs started afterwards, and `initctl` run inside a job
 * acting on that instance's environment unless `-g`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startTestDaemon, waitFor } from "../helpers/test_daemon.ts";

Deno.test("list-env shows the inherited environment sorted (user mode)", async () => {
  await using d = await startTestDaemon();
  const lines = (await d.ok("list-env")).trimEnd().split("\n");
  assert.deepEqual(lines, [...lines].sort());
  for (const entry of ["PATH=/usr/bin:/bin", `HOME=${d.home}`, `DAYBREAK_TEST_ID=${d.testId}`]) {
    assert.ok(lines.includes(entry), `${entry} missing from ${lines.join(" ")}`);
  }
  // Deno's own launcher variables are not passed on.
  assert.equal(lines.filter((l) => l.startsWith("DENO_")).length, 0, lines.join(" "));
});

Deno.test("set-env, get-env, unset-env and reset-env edit the global table", async () => {
  await using d = await startTestDaemon({
    "show.conf": 'task\nexec sh -c \'echo "${FOO-unset} ${BAR-unset}" > "$HOME/out"\'\n',
  });
  assert.equal(await d.ok("set-env", "FOO=1"), "");
  assert.equal(await d.ok("set-env", "--retain", "FOO=2"), "");
  assert.equal(await d.ok("get-env", "FOO"), "1\n");
  assert.equal(await d.ok("set-env", "FOO=3", "BAR"), "");
  assert.equal(await d.ok("get-env", "FOO"), "3\n");
  assert.equal(await d.ok("get-env", "BAR"), "\n");
  assert.ok((await d.ok("list-env")).includes("BAR=\nDAYBREAK_"));

  await d.ok("start", "show");
  assert.equal(await Deno.readTextFile(join(d.home, "out")), "3 \n");

  assert.equal(await d.ok("unset-env", "BAR"), "");
  assert.deepEqual(await d.initctl("get-env", "BAR"), {
    code: 1,
    stdout: "",
    stderr: "initctl: No such variable: BAR\n",
  });
  assert.deepEqual(await d.initctl("unset-env", "BAR"), {
    code: 1,
    stdout: "",
    stderr: "initctl: No such variable: BAR\n",
  });
  assert.equal(await d.ok("reset-env"), "");
  assert.deepEqual(await d.initctl("get-env", "FOO"), {
    code: 1,
    stdout: "",
    stderr: "initctl: No such variable: FOO\n",
  });
  await d.ok("start", "show");
  assert.equal(await Deno.readTextFile(join(d.home, "out")), "unset unset\n");

  const usage = "Try `initctl --help' for more information.\n";
  for (const cmd of ["get-env", "set-env", "unset-env"]) {
    assert.deepEqual(await d.initctl(cmd), {
      code: 1,
      stdout: "",
      stderr: `initctl: missing variable name\n${usage}`,
    });
  }
});

Deno.test("initctl inside a job edits its own instance, or the global table with -g", async () => {
  const ctl = '"$DAYBREAK_ROOT/bin/initctl"';
  await using d = await startTestDaemon({
    "inside.conf": `env FROMJOB=1
script
  exec >"$HOME/inside.tmp" 2>&1
  ${ctl} set-env INSIDE=yes
  ${ctl} get-env INSIDE
  ${ctl} get-env FROMJOB
  ${ctl} get-env -g INSIDE || :
  ${ctl} set-env -g GLOBAL=g
  mv "$HOME/inside.tmp" "$HOME/inside"
  exec sleep 60
end script
`,
  });
  await d.ok("start", "inside");
  const text = await waitFor("the job's report", async () => {
    try {
      return await Deno.readTextFile(join(d.home, "inside"));
    } catch {
      return null;
    }
  });
  assert.equal(text, "yes\n1\ninitctl: No such variable: INSIDE\n");
  assert.equal(await d.ok("get-env", "GLOBAL"), "g\n");
  assert.deepEqual(await d.initctl("get-env", "INSIDE"), {
    code: 1,
    stdout: "",
    stderr: "initctl: No such variable: INSIDE\n",
  });
  await d.ok("stop", "inside");
});
