import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { which } from "./manager.ts";

const SCRIPT = fileURLToPath(new URL("./testdata/floor_session.ts", import.meta.url));
const haveGcc = await which("gcc") !== null;

Deno.test({
  name: "runSession() measures the floor and leaves no process behind",
  ignore: !haveGcc,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", SCRIPT, dir],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, stderr);
      const r = JSON.parse(new TextDecoder().decode(out.stdout));
      assert.equal(r.left, 0);
      assert.equal(r.memoryScope, "floor");
      assert.equal(r.samples["cold-procs"].length, 1);
      assert.equal(r.samples.pss.length, 1);
      assert.ok(r.samples.pss[0] > 0);
      assert.equal(r.samples["respawn-procs"].length, 2);
      assert.equal(r.samples.stop.length, 1);
      // The floor has no status command and no restart: those are not measured.
      assert.equal(r.samples["cold-status"], undefined);
      assert.equal(r.samples.list, undefined);
      assert.equal(r.samples.restart, undefined);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
