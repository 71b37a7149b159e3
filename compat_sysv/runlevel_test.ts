import assert from "node:assert/strict";
import { RecordingOutput } from "../cli/io.ts";
import { encodeUtmp, runlevelRecord } from "../sys/utmp.ts";
import { FakeRunlevelStore } from "./_fake_store.ts";
import { runlevel } from "./runlevel.ts";
import { UTMP_PATH } from "./utmp_file.ts";

async function run(argv: string[], env: Record<string, string> = {}, utmp?: Uint8Array) {
  const store = new FakeRunlevelStore();
  if (utmp) store.files.set(UTMP_PATH, utmp);
  store.files.set("/alt", encodeUtmp(runlevelRecord("5", "3", 0, "k")));
  const io = new RecordingOutput();
  const code = await runlevel(argv, { env, store, io });
  return { code, out: io.stdout, err: io.stderr };
}

Deno.test("runlevel: PREV CUR from utmp's runlevel record", async () => {
  const two = encodeUtmp(runlevelRecord("2", "N", 0, "k"));
  assert.deepEqual(await run([], {}, two), { code: 0, out: "N 2\n", err: "" });
  const back = new Uint8Array([...two, ...encodeUtmp(runlevelRecord("1", "2", 0, "k"))]);
  assert.deepEqual(await run([], {}, back), { code: 0, out: "2 1\n", err: "" });
  assert.deepEqual(await run(["/alt"], {}, two), { code: 0, out: "3 5\n", err: "" });
});

Deno.test("runlevel: $RUNLEVEL and $PREVLEVEL win over utmp", async () => {
  const two = encodeUtmp(runlevelRecord("2", "N", 0, "k"));
  assert.deepEqual(await run([], { RUNLEVEL: "6", PREVLEVEL: "2" }, two), {
    code: 0,
    out: "2 6\n",
    err: "",
  });
  assert.deepEqual(await run([], { RUNLEVEL: "2", PREVLEVEL: "" }), {
    code: 0,
    out: "N 2\n",
    err: "",
  });
  // Even over a file argument, and set but empty it means no runlevel (Upstart's runlevel).
  assert.deepEqual(await run(["/alt"], { RUNLEVEL: "1", PREVLEVEL: "2" }), {
    code: 0,
    out: "2 1\n",
    err: "",
  });
  assert.deepEqual(await run([], { RUNLEVEL: "" }, two), { code: 1, out: "unknown\n", err: "" });
});

Deno.test("runlevel: unknown without a record; the file's error when unreadable", async () => {
  assert.deepEqual(await run([], {}, new Uint8Array()), { code: 1, out: "unknown\n", err: "" });
  assert.deepEqual(await run([]), {
    code: 1,
    out: "",
    err: "runlevel:/run/utmp: No such file or directory\n",
  });
});
