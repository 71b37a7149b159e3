/**
 * The artifact of `deno task dist` runs from any directory with an empty dependency cache and no
 * network configuration of the checkout: only `dist/` itself.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { join } from "node:path";
import { runClean, startUserDaemon, testDist } from "./_dist.ts";
import { ENTRIES } from "../../tools/dist.ts";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

Deno.test("dist holds deno, one bundle per existing entry, and their launchers", async () => {
  const { dir, result } = await testDist();
  const dist = join(dir, "dist");
  assertEquals((await Deno.stat(join(dist, "deno"))).mode! & 0o111, 0o111);
  for (const entry of ENTRIES) {
    const present = await Deno.stat(join(ROOT, entry.source)).then(() => true, () => false);
    assertEquals(result.bundled.includes(entry.source), present, entry.source);
    assertEquals(result.skipped.includes(entry.source), !present, entry.source);
    if (!present) continue;
    const js = join(dist, "lib", entry.source.replace(/\.ts$/, ".js"));
    // Bundled: no import of another of our modules or of npm: is left.
    const text = await Deno.readTextFile(js);
    assertEquals(/from\s+["'](\.\.?\/|npm:|jsr:)/.test(text), false, js);
  }
  assertEquals(result.launchers.includes("initctl") && result.launchers.includes("halt"), true);
});

Deno.test("dist's initctl talks to dist's daemon from / with an empty DENO_DIR", async () => {
  const { dir } = await testDist();
  const bin = join(dir, "dist", "bin");
  const empty = await Deno.makeTempDir({ prefix: "daybreak-empty-deno-dir-" });
  try {
    const env = { DAYBREAK_DENO_DIR: empty };
    // The job is there before the daemon starts: a file written afterwards is seen after the
    // watch's debounce, which a loaded machine can stretch past the next request.
    await using daemon = await startUserDaemon(bin, env, { "hello.conf": "task\nexec true\n" });
    const version = await runClean(
      join(bin, "initctl"),
      ["--socket", daemon.socket, "version"],
      env,
    );
    assertEquals(version, {
      code: 0,
      stdout: "init (upstart 1.13.2)\ndaybreak 0.1.0\n",
      stderr: "",
    });
    const status = await runClean(join(bin, "status"), ["--socket", daemon.socket, "hello"], env);
    assertEquals(status, { code: 0, stdout: "hello stop/waiting\n", stderr: "" });
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});

Deno.test("dist's init-checkconf and halt run from / with no cache at all", async () => {
  const { dir } = await testDist();
  const bin = join(dir, "dist", "bin");
  const env = { DAYBREAK_DENO_DIR: "/nonexistent/daybreak-deno-dir" };
  const conf = join(dir, "dist", "etc", "init", "tty1.conf");
  assertEquals(await runClean(join(bin, "init-checkconf"), [conf], env), {
    code: 0,
    stdout: `File ${conf}: syntax ok\n`,
    stderr: "",
  });
  const help = await runClean(join(bin, "poweroff"), ["--help"], env);
  assertEquals([help.code, help.stdout.split("\n")[0]], [
    0,
    "Usage: poweroff [-n] [-w] [-d] [-f] [-i] [-p] [-h]",
  ]);
});
