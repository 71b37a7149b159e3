/**
 * The launchers of bin/ (runlevel, service) on temporary files, outside any
 * namespace: their permissions, wiring and exact output.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { encodeUtmp, runlevelRecord } from "../../sys/utmp.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
const decoder = new TextDecoder();

async function tool(name: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(`${ROOT}/bin/${name}`, {
    args,
    clearEnv: true,
    env: { PATH: "/usr/bin:/bin", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("bin/runlevel reads a utmp file named on its command line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const utmp = `${dir}/utmp`;
    await Deno.writeFile(utmp, encodeUtmp(runlevelRecord("3", "2", Date.now(), "k")));
    assert.deepEqual(await tool("runlevel", [utmp]), { code: 0, stdout: "2 3\n", stderr: "" });
    await Deno.writeFile(utmp, new Uint8Array());
    assert.deepEqual(await tool("runlevel", [utmp]), { code: 1, stdout: "unknown\n", stderr: "" });
    assert.deepEqual(await tool("runlevel", [], { RUNLEVEL: "5", PREVLEVEL: "3" }), {
      code: 0,
      stdout: "3 5\n",
      stderr: "",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bin/service runs init.d scripts with LANG, PATH and TERM only", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = (name: string, body: string) =>
      Deno.writeTextFile(`${dir}/${name}`, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    await script("envdump", 'echo "$1 $(pwd)"; env | sort; exit 4');
    await script("up", 'echo "up is running"');
    await script("down", 'echo "down is not running" >&2; exit 3');
    await script("odd", 'echo "Usage: odd {start|stop}"; exit 1');
    await script("silent", "exit 0");
    await script("README", "exit 0");
    const env = {
      DAYBREAK_TEST_INIT_D_DIR: dir,
      LANG: "C.UTF-8",
      TERM: "dumb",
      SECRET: "x",
    };
    const r = await tool("service", ["envdump", "start"], env);
    assert.equal(r.code, 4);
    assert.equal(r.stdout, "start /\nLANG=C.UTF-8\nPATH=/usr/bin:/bin\nPWD=/\nTERM=dumb\n");
    const all = await tool("service", ["--status-all"], env);
    assert.deepEqual(all, {
      code: 0,
      stdout: " [ - ]  down\n [ - ]  envdump\n [ - ]  silent\n [ + ]  up\n",
      stderr: " [ ? ]  odd\n",
    });
    assert.deepEqual(await tool("service", ["nope", "start"], env), {
      code: 1,
      stdout: "",
      stderr: "nope: unrecognized service\n",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
