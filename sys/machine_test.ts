import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { kill, MachineCallError, sync, umount2 } from "./machine.ts";

const DENO = Deno.execPath();
const SCRIPT = fileURLToPath(new URL("./testdata/mount_tmpfs.ts", import.meta.url));

Deno.test("sync() flushes without failing", () => {
  sync();
});

Deno.test("a failing call throws MachineCallError with the errno's name", () => {
  let err: unknown = null;
  try {
    umount2("/nonexistent/daybreak-machine-test", 0);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof MachineCallError);
  assert.equal(err.call, "umount2");
  assert.ok(["ENOENT", "EINVAL", "EPERM"].includes(err.code), err.code);
});

Deno.test("kill() of a process that is gone is not an error", () => {
  kill(2 ** 22 + 12345, 0);
});

Deno.test({
  name: "mount() and umount2() in a private mount namespace",
  ignore: Deno.uid() !== 0,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "daybreak-mount-" });
    try {
      const out = await new Deno.Command("unshare", {
        args: [
          "--mount",
          "--propagation",
          "private",
          DENO,
          "run",
          // Deno reads /proc only with --allow-all.
          "--allow-all",
          SCRIPT,
          dir,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.equal(text, "mounted true\nunmounted true file-gone\n");
      assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing leaked to the host's view");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
