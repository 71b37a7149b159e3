import assert from "node:assert/strict";
import {
  commandLine,
  envValue,
  needsShell,
  type ProbeResult,
  resolveProgram,
  SHELL_METACHARS,
} from "./command_line.ts";

Deno.test("commandLine() splits a plain exec command on whitespace without quote processing", () => {
  assert.deepEqual(commandLine({ script: false, command: "/bin/sleep\t 10\r\n x" }), {
    argv: ["/bin/sleep", "10", "x"],
    shell: false,
  });
});

Deno.test("commandLine() sends every metacharacter through /bin/sh -e with exec", async (t) => {
  for (const ch of SHELL_METACHARS) {
    await t.step(`character ${JSON.stringify(ch)}`, () => {
      const cmd = `/bin/echo a${ch}b`;
      assert.equal(needsShell(cmd), true);
      assert.deepEqual(commandLine({ script: false, command: cmd }).argv, [
        "/bin/sh",
        "-e",
        "-c",
        `exec ${cmd}`,
        "/bin/sh",
      ]);
    });
  }
});

Deno.test("commandLine() runs characters outside the set directly", () => {
  for (const ch of ["-", "_", ".", ",", ":", "@", "%", "+", "/", "#"]) {
    assert.equal(needsShell(`a${ch}b`), false, ch);
  }
});

Deno.test("commandLine() passes a single-line script without its trailing newlines", () => {
  assert.deepEqual(commandLine({ script: true, command: "echo hi\n\n" }), {
    argv: ["/bin/sh", "-e", "-c", "echo hi", "/bin/sh"],
    shell: true,
  });
});

Deno.test("commandLine() passes a multi-line script through -c keeping $0 as /bin/sh", () => {
  const script = "set -x\nfalse\necho never\n";
  assert.deepEqual(commandLine({ script: true, command: script }).argv, [
    "/bin/sh",
    "-e",
    "-c",
    "set -x\nfalse\necho never",
    "/bin/sh",
  ]);
});

Deno.test("commandLine() keeps an empty script runnable", () => {
  assert.deepEqual(commandLine({ script: true, command: "" }).argv, [
    "/bin/sh",
    "-e",
    "-c",
    "",
    "/bin/sh",
  ]);
});

Deno.test("commandLine() scripts behave with sh -e semantics", async () => {
  const { argv } = commandLine({ script: true, command: "echo one\nfalse\necho two\n" });
  const out = await new Deno.Command(argv[0]!, { args: argv.slice(1), stdout: "piped" }).output();
  assert.equal(out.code, 1);
  assert.equal(new TextDecoder().decode(out.stdout), "one\n");
  const zero = commandLine({ script: true, command: 'echo "$0"\n' }).argv;
  const out0 = await new Deno.Command(zero[0]!, { args: zero.slice(1), stdout: "piped" }).output();
  assert.equal(new TextDecoder().decode(out0.stdout), "/bin/sh\n");
});

function fakeFs(files: Record<string, ProbeResult>): (p: string) => ProbeResult {
  return (p) => files[p] ?? "missing";
}

Deno.test("resolveProgram() searches PATH in order", () => {
  const probe = fakeFs({ "/b/tool": "ok", "/c/tool": "ok" });
  assert.deepEqual(resolveProgram("tool", { path: "/a:/b:/c", cwd: "/", root: null }, probe), {
    path: "/b/tool",
  });
});

Deno.test("resolveProgram() uses glibc's default path when PATH is unset", () => {
  const probe = fakeFs({ "/usr/bin/tool": "ok" });
  assert.deepEqual(resolveProgram("tool", { path: null, cwd: "/", root: null }, probe), {
    path: "/usr/bin/tool",
  });
  assert.deepEqual(resolveProgram("tool", { path: null, cwd: "/", root: null }, fakeFs({})), {
    error: "ENOENT",
  });
});

Deno.test("resolveProgram() reports EACCES when only a non-executable candidate exists", () => {
  const probe = fakeFs({ "/b/tool": "denied" });
  assert.deepEqual(resolveProgram("tool", { path: "/a:/b", cwd: "/", root: null }, probe), {
    error: "EACCES",
  });
});

Deno.test("resolveProgram() takes names with a slash as paths, relative to cwd", () => {
  const probe = fakeFs({ "/srv/app/run": "ok", "/x": "denied" });
  assert.deepEqual(resolveProgram("./run", { path: "/bin", cwd: "/srv/app", root: null }, probe), {
    path: "/srv/app/run",
  });
  assert.deepEqual(resolveProgram("/x", { path: "/bin", cwd: "/", root: null }, probe), {
    error: "EACCES",
  });
});

Deno.test("resolveProgram() probes under the chroot but returns the inner path", () => {
  const probe = fakeFs({ "/jail/bin/tool": "ok" });
  assert.deepEqual(resolveProgram("tool", { path: "/bin", cwd: "/", root: "/jail" }, probe), {
    path: "/bin/tool",
  });
  assert.deepEqual(resolveProgram("/bin/tool", { path: null, cwd: "/", root: null }, probe), {
    error: "ENOENT",
  });
});

Deno.test("resolveProgram() treats an empty PATH entry as the working directory", () => {
  const probe = fakeFs({ "/work/tool": "ok" });
  assert.deepEqual(resolveProgram("tool", { path: "/bin::", cwd: "/work", root: null }, probe), {
    path: "/work/tool",
  });
});

Deno.test("envValue() returns the last value of a key", () => {
  assert.equal(envValue(["PATH=/a", "X=1", "PATH=/b"], "PATH"), "/b");
  assert.equal(envValue(["PATHX=/a"], "PATH"), null);
  assert.equal(envValue(["E="], "E"), "");
});
