/**
 * `init` refuses options it does not know unless it is PID 1 (the kernel passes PID 1 words of
 * its own command line), and refuses a bad `--metrics` address: a typo never starts a daemon.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const INIT = join(fileURLToPath(new URL("../../", import.meta.url)), "bin", "init");

async function init(...args: string[]) {
  const home = await Deno.makeTempDir({ prefix: "daybreak-usage-" });
  try {
    const out = await new Deno.Command(INIT, {
      args,
      clearEnv: true,
      env: { PATH: "/usr/bin:/bin", HOME: home, XDG_RUNTIME_DIR: home },
      stdin: "null",
      signal: AbortSignal.timeout(20_000),
    }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("init --user --bogus fails with a usage error instead of starting", async () => {
  const r = await init("--user", "--bogus");
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^init: unrecognized option '--bogus'\nTry 'init --help'/);
});

Deno.test("init --user --metrics X fails with the address's problem", async () => {
  const r = await init("--user", "--metrics", "X");
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Invalid metrics address: X/);
});
