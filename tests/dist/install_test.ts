/**
 * `deno task install --root DIR` into a scratch root: the artifact under /usr/lib/daybreak, the
 * tools linked into /sbin (merged-/usr too), the default jobs where none of that name exists, and
 * the installed tools run with `env -i PATH=/usr/bin:/bin`.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runClean, testDist } from "./_dist.ts";
import { install, SAVED_SUFFIX } from "../../tools/install.ts";
import { DAEMON_V8_FLAGS, PID1_V8_FLAGS } from "../../tools/install_code_cache.ts";

const ROOT_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

async function scratchRoot(mergedUsr: boolean): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "daybreak-root-" });
  await Deno.mkdir(join(root, "etc", "init"), { recursive: true });
  if (mergedUsr) {
    await Deno.mkdir(join(root, "usr", "sbin"), { recursive: true });
    await Deno.symlink("usr/sbin", join(root, "sbin"));
  } else {
    await Deno.mkdir(join(root, "sbin"));
  }
  return root;
}

Deno.test("install links every built tool into /sbin and keeps what it replaces", async () => {
  const { dir, result: built } = await testDist();
  const root = await scratchRoot(true);
  try {
    await Deno.writeTextFile(join(root, "usr", "sbin", "reboot"), "old reboot\n");
    await Deno.writeTextFile(join(root, "etc", "init", "tty1.conf"), "# the machine's own\n");
    const result = await install({ root, dist: join(dir, "dist") });
    const sbin = join(root, "usr", "sbin");
    for (const tool of result.linked) {
      assertEquals(await Deno.readLink(join(sbin, tool)), `../lib/daybreak/bin/${tool}`);
    }
    for (const tool of ["init", "initctl", "shutdown", "halt", "poweroff", "reboot"]) {
      assertEquals(result.linked.includes(tool), true, tool);
    }
    // A tool whose entry is not built yet is reported, not linked.
    for (const tool of result.missing) {
      assertEquals(built.launchers.includes(tool), false, tool);
    }
    assertEquals(result.saved, ["reboot"]);
    // Every bundle's compiled code is in the artifact's cache, under the path it runs from.
    assertEquals(result.codeCache, built.bundled.length);

    assertEquals(await Deno.readTextFile(join(sbin, `reboot${SAVED_SUFFIX}`)), "old reboot\n");
    // Every default job but the one the machine already has.
    const defaults = [...Deno.readDirSync(join(ROOT_DIR, "etc", "init"))].map((e) => e.name);
    assertEquals(result.jobs, defaults.filter((n) => n !== "tty1.conf").sort());
    assertEquals(
      await Deno.readTextFile(join(root, "etc", "init", "tty1.conf")),
      "# the machine's own\n",
    );

    // Installing again changes nothing and keeps the saved file.
    const again = await install({ root, dist: join(dir, "dist") });
    assertEquals([again.saved, again.jobs], [[], []]);
    assertEquals(await Deno.readTextFile(join(sbin, `reboot${SAVED_SUFFIX}`)), "old reboot\n");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the installed tools run from the root with a bare environment", async () => {
  const { dir } = await testDist();
  const root = await scratchRoot(false);
  try {
    await install({ root, dist: join(dir, "dist") });
    const conf = join(root, "etc", "init", "mountall.conf");
    assertEquals(await runClean(join(root, "sbin", "init-checkconf"), [conf]), {
      code: 0,
      stdout: `File ${conf}: syntax ok\n`,
      stderr: "",
    });
    assertEquals(await runClean(join(root, "sbin", "init"), ["--version"]), {
      code: 0,
      stdout: "init (upstart 1.13.2)\ndaybreak 0.1.0\n",
      stderr: "",
    });
    const missing = join(root, "nothing.sock");
    assertEquals(await runClean(join(root, "sbin", "reboot"), ["--socket", missing]), {
      code: 1,
      stdout: "",
      stderr: `reboot: ${missing}: No such file or directory\n`,
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the daemon's code cache is made with the V8 flags bin/init runs it with", async () => {
  // V8 refuses a code cache made with other flags (tools/install_code_cache.ts).
  const launcher = await Deno.readTextFile(join(ROOT_DIR, "bin", "init"));
  // Container mode's command lines, and the daemon's, which adds --no-lazy as PID 1 from dist/.
  const container = [...launcher.matchAll(/--v8-flags=(--[^\s"]+)/g)].map((m) => m[1]);
  assertEquals(container, [DAEMON_V8_FLAGS, DAEMON_V8_FLAGS]);
  assertEquals(launcher.includes(`\nv8=${DAEMON_V8_FLAGS}\n`), true);
  const pid1 = PID1_V8_FLAGS.slice(DAEMON_V8_FLAGS.length);
  const asPid1FromDist =
    `[ "$$" = 1 ] && [ -f "$DAYBREAK_ROOT/lib/daemon/main.js" ] && v8="$v8${pid1}"\n`;
  assertEquals(launcher.includes(asPid1FromDist), true);
  assertEquals(launcher.includes(`run_entry daemon/main.ts "--v8-flags=$v8"`), true);
});
