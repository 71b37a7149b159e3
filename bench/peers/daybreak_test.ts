import assert from "node:assert/strict";
import { Daybreak, DAYBREAK_JOB, parseInitctlList } from "./daybreak.ts";

Deno.test("parseInitctlList() keeps running jobs with a process", () => {
  const text = [
    "s0 start/running, process 17017",
    "s1 stop/waiting",
    "abstract start/running",
    "s2 start/running, process 17020",
    "\tpre-start process 17019",
  ].join("\n");
  assert.deepEqual(parseInitctlList(text), new Map([["s0", 17017], ["s2", 17020]]));
});

Deno.test("DAYBREAK_JOB starts on startup, respawns and execs the service", () => {
  assert.deepEqual(DAYBREAK_JOB.trim().split("\n"), [
    "start on startup",
    "respawn",
    "exec sleep 100000",
  ]);
});

Deno.test("Daybreak.available() names bin/init when the launcher is missing", async () => {
  const root = await Deno.makeTempDir();
  try {
    assert.equal(await new Daybreak(root).available(), "bin/init missing");
    await Deno.mkdir(`${root}/bin`);
    await Deno.writeTextFile(`${root}/bin/init`, "#!/bin/sh\n");
    assert.equal(await new Daybreak(root).available(), "bin/initctl missing");
    await Deno.writeTextFile(`${root}/bin/initctl`, "#!/bin/sh\n");
    assert.equal(await new Daybreak(root).available(), true);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
