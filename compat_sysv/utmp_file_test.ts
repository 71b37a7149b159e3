import assert from "node:assert/strict";
import {
  bootRecord,
  decodeAll,
  EMPTY_RECORD,
  encodeUtmp,
  runlevelOf,
  runlevelRecord,
  UT_TYPE,
} from "../sys/utmp.ts";
import { createUtmpIfMissing, fileRunlevelStore, type RunlevelChange } from "./utmp_file.ts";

const change = (level: string, previous: string): RunlevelChange => ({
  record: runlevelRecord(level, previous, 0, "k"),
  boot: bootRecord(0, "k"),
  previous,
});

Deno.test("utmp files: utmp's records are replaced in place, wtmp's appended", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const utmp = `${dir}/utmp`, wtmp = `${dir}/wtmp`;
    const login = encodeUtmp({ ...EMPTY_RECORD, type: UT_TYPE.USER_PROCESS, user: "root" });
    await Deno.writeFile(utmp, login);
    await Deno.writeFile(wtmp, new Uint8Array([...login, 1, 2])); // a torn tail, padded over
    // The first change finds no runlevel: the files missed a boot, which is recorded first.
    await fileRunlevelStore.write(utmp, wtmp, change("2", "N"));
    await fileRunlevelStore.write(utmp, wtmp, change("1", "2"));
    assert.deepEqual(await fileRunlevelStore.read(utmp), { runlevel: "1", previous: "2" });
    const u = decodeAll(await Deno.readFile(utmp));
    assert.deepEqual(u.map((r) => r.type), [UT_TYPE.USER_PROCESS, UT_TYPE.BOOT_TIME, 1]);
    const w = decodeAll(await Deno.readFile(wtmp));
    assert.deepEqual(w.map((r) => r.type).filter((_, i) => i !== 1), [
      UT_TYPE.USER_PROCESS,
      UT_TYPE.BOOT_TIME,
      UT_TYPE.RUN_LVL,
      UT_TYPE.RUN_LVL,
    ]);
    assert.deepEqual(runlevelOf(w[4]!), { runlevel: "1", previous: "2" });
    // A change from a level the files do not hold means a reboot was missed.
    await fileRunlevelStore.write(utmp, wtmp, change("3", "5"));
    assert.deepEqual(decodeAll(await Deno.readFile(wtmp)).slice(5).map((r) => r.type), [2, 1]);
    // Missing files are left alone.
    await fileRunlevelStore.write(`${dir}/none`, `${dir}/none2`, change("2", "N"));
    await assert.rejects(() => Deno.stat(`${dir}/none`), Deno.errors.NotFound);
    await assert.rejects(() => fileRunlevelStore.read(`${dir}/none`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("utmp files: util-linux's last reads the boot and runlevel records", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const utmp = `${dir}/utmp`, wtmp = `${dir}/wtmp`;
    await Deno.writeFile(utmp, new Uint8Array());
    await Deno.writeFile(wtmp, new Uint8Array());
    await fileRunlevelStore.write(utmp, wtmp, change("2", "N"));
    const out = await new Deno.Command("last", { args: ["-x", "-f", wtmp], stdout: "piped" })
      .output();
    const text = new TextDecoder().decode(out.stdout);
    assert.match(text, /^runlevel \(to lvl 2\) +k /m);
    assert.match(text, /^reboot +system boot +k /m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createUtmpIfMissing: creates an empty utmp, keeps an existing one as it is", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/utmp`;
    assert.deepEqual(createUtmpIfMissing(path), true);
    assert.deepEqual((await Deno.readFile(path)).length, 0);
    assert.deepEqual((await Deno.stat(path)).mode! & 0o777, 0o644);
    await Deno.writeFile(path, new Uint8Array([1, 2, 3]));
    assert.deepEqual(createUtmpIfMissing(path), false);
    assert.deepEqual(await Deno.readFile(path), new Uint8Array([1, 2, 3]));
    assert.throws(() => createUtmpIfMissing(`${dir}/no/such/dir/utmp`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
