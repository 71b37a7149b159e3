/**
 * The launcher's early boot: bin/init as PID 1 with no /proc mounts it before starting Deno
 * (which cannot start without /proc/self/exe), and the tools run with a read-only DENO_DIR.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command("unshare", {
    args,
    cwd: "/",
    env: { PATH: "/usr/bin:/bin" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

Deno.test("bin/init as PID 1 with no /proc mounts it and starts", async () => {
  const script =
    `umount -l /proc || exit 9; [ -e /proc/self ] && exit 8; exec ${ROOT}bin/init --version`;
  const out = await run([
    "--pid",
    "--fork",
    "--mount",
    "--propagation",
    "private",
    "sh",
    "-c",
    script,
  ]);
  assertEquals(out, { code: 0, stdout: "init (upstart 1.13.2)\ndaybreak 0.1.0\n", stderr: "" });
});

Deno.test("the tools run with a read-only dependency cache", async () => {
  const script = `d=$(readlink -f ${ROOT}.deno_dir) && mount --bind "$d" "$d" &&
    mount -o remount,bind,ro "$d" && ! touch "$d/.probe" 2>/dev/null &&
    exec ${ROOT}bin/init-checkconf ${ROOT}examples/greeter.conf`;
  const out = await run(["--mount", "--propagation", "private", "sh", "-c", script]);
  assertEquals(out, {
    code: 0,
    stdout: `File ${ROOT}examples/greeter.conf: syntax ok\n`,
    stderr: "",
  });
});
