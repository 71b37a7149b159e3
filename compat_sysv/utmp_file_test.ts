import assert from "node:assert/strict";
import { decodeAll, EMPTY_RECORD, encodeUtmp, runlevelRecord, UT_TYPE } from "../sys/utmp.ts";
import { fileRunlevelStore } from "./utmp_file.ts";

Deno.test("utmp files: utmp's runlevel record is replaced in place, wtmp appended", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const utmp = `${dir}/utmp`, wtmp = `${dir}/wtmp`;
    const boot = encodeUtmp({ ...EMPTY_RECORD, type: UT_TYPE.BOOT_TIME, user: "reboot" });
    await Deno.writeFile(utmp, boot);
    await Deno.writeFile(wtmp, new Uint8Array([...boot, 1, 2])); // a torn tail, padded over
    await fileRunlevelStore.write(utmp, wtmp, runlevelRecord("2", "N", 0, "k"));
    await fileRunlevelStore.write(utmp, wtmp, runlevelRecord("1", "2", 0, "k"));
    assert.deepEqual(await fileRunlevelStore.read(utmp), { runlevel: "1", previous: "2" });
    assert.equal(decodeAll(await Deno.readFile(utmp)).length, 2);
    const w = decodeAll(await Deno.readFile(wtmp));
    assert.deepEqual(w.map((r) => r.type).filter((_, i) => i !== 1), [2, 1, 1]);
    // Missing files are left alone.
    await fileRunlevelStore.write(`${dir}/none`, `${dir}/none2`, runlevelRecord("2", "N", 0, "k"));
    await assert.rejects(() => Deno.stat(`${dir}/none`), Deno.errors.NotFound);
    await assert.rejects(() => fileRunlevelStore.read(`${dir}/none`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
