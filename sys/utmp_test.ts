import assert from "node:assert/strict";
import {
  bootRecord,
  decodeAll,
  decodeUtmp,
  EMPTY_RECORD,
  encodeUtmp,
  latestRunlevel,
  runlevelOf,
  runlevelRecord,
  UT_TYPE,
  UTMP_SIZE,
  type UtmpRecord,
  utmpSlot,
} from "./utmp.ts";

const WHEN = Date.UTC(2026, 11, 3, 7, 40, 0, 250);

async function utmpdump(args: string[], stdin?: Uint8Array): Promise<Uint8Array> {
  const child = new Deno.Command("utmpdump", {
    args,
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  if (stdin) {
    const w = child.stdin.getWriter();
    await w.write(stdin);
    await w.close();
  }
  const out = await child.output();
  assert.equal(out.code, 0);
  return out.stdout;
}

Deno.test("utmp: a record is 384 bytes and round-trips", () => {
  const rec: UtmpRecord = {
    ...runlevelRecord("2", "S", WHEN, "6.1.0-test"),
    session: 7,
    addrV6: [1, 2, 3, 4],
  };
  const bytes = encodeUtmp(rec);
  assert.equal(bytes.length, UTMP_SIZE);
  assert.deepEqual(decodeUtmp(bytes), rec);
});

Deno.test("utmp: the runlevel record packs both levels in ut_pid", () => {
  const rec = runlevelRecord("2", "N", WHEN, "k");
  assert.equal(rec.type, UT_TYPE.RUN_LVL);
  assert.equal(rec.pid, "2".charCodeAt(0) + 256 * "N".charCodeAt(0));
  assert.equal(rec.tvSec, Math.floor(WHEN / 1000));
  assert.equal(rec.tvUsec, 250000);
  assert.deepEqual(runlevelOf(rec), { runlevel: "2", previous: "N" });
  assert.deepEqual(runlevelOf(runlevelRecord("1", "2", WHEN, "k")), {
    runlevel: "1",
    previous: "2",
  });
  // Some writers store "no previous level" as 0.
  assert.deepEqual(runlevelOf({ ...rec, pid: 50 }), { runlevel: "2", previous: "N" });
  const boot = bootRecord(WHEN, "k");
  assert.deepEqual([boot.type, boot.pid, boot.user, boot.line, boot.id, boot.host], [
    UT_TYPE.BOOT_TIME,
    0,
    "reboot",
    "~",
    "~~",
    "k",
  ]);
});

Deno.test("utmp: strings are truncated to their field like strncpy", () => {
  const rec = decodeUtmp(encodeUtmp({ ...EMPTY_RECORD, id: "abcdef", host: "h".repeat(300) }));
  assert.equal(rec.id, "abcd");
  assert.equal(rec.host.length, 256);
});

Deno.test("utmp: decodeAll ignores a truncated tail; latestRunlevel takes the last", () => {
  const a = encodeUtmp(runlevelRecord("2", "N", WHEN, "k"));
  const boot = encodeUtmp({ ...EMPTY_RECORD, type: UT_TYPE.BOOT_TIME, user: "reboot" });
  const b = encodeUtmp(runlevelRecord("1", "2", WHEN, "k"));
  const file = new Uint8Array([...a, ...boot, ...b, 1, 2, 3]);
  const records = decodeAll(file);
  assert.equal(records.length, 3);
  assert.deepEqual(latestRunlevel(records), { runlevel: "1", previous: "2" });
  assert.equal(latestRunlevel(decodeAll(boot)), null);
  assert.equal(latestRunlevel([]), null);
  assert.throws(() => decodeUtmp(file, 3 * UTMP_SIZE), RangeError);
});

Deno.test("utmp: pututline's slot: runlevel records replace, others append", () => {
  const records = decodeAll(
    new Uint8Array([
      ...encodeUtmp({ ...EMPTY_RECORD, type: UT_TYPE.BOOT_TIME }),
      ...encodeUtmp(runlevelRecord("2", "N", WHEN, "k")),
    ]),
  );
  assert.equal(utmpSlot(records, UT_TYPE.RUN_LVL), 1);
  assert.equal(utmpSlot(records, UT_TYPE.BOOT_TIME), 0);
  assert.equal(utmpSlot(records, UT_TYPE.USER_PROCESS), 2);
  assert.equal(utmpSlot([], UT_TYPE.RUN_LVL), 0);
});

Deno.test("utmp: util-linux's utmpdump reads what we write", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/wtmp`;
    await Deno.writeFile(file, encodeUtmp(runlevelRecord("2", "S", WHEN, "6.1.0-test")));
    const text = new TextDecoder().decode(await utmpdump([file]));
    // type, pid = '2' + 256*'S' = 50 + 256*83, id, user, line, host, address, time.
    assert.match(
      text,
      /^\[1\] \[21298\] \[~~ {2}\] \[runlevel\] \[~ +\] \[6\.1\.0-test +\] \[0\.0\.0\.0 +\] \[2026-12-03T07:40:00,250000\+00:00\]$/m,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("utmp: we read what util-linux's utmpdump -r writes", async () => {
  const line =
    "[1] [00050] [~~  ] [runlevel] [~           ] [6.1.0-x             ] [0.0.0.0        ] [2026-12-03T07:40:00,000000+00:00]\n";
  const bytes = await utmpdump(["-r"], new TextEncoder().encode(line));
  assert.equal(bytes.length, UTMP_SIZE);
  const rec = decodeUtmp(bytes);
  assert.equal(rec.type, UT_TYPE.RUN_LVL);
  assert.deepEqual(runlevelOf(rec), { runlevel: "2", previous: "N" });
  assert.equal(rec.user, "runlevel");
  // utmpdump -r keeps the padding blanks of its text format.
  assert.equal(rec.line.trimEnd(), "~");
  assert.equal(rec.id.trimEnd(), "~~");
  assert.equal(rec.host.trimEnd(), "6.1.0-x");
  assert.equal(rec.tvSec, Date.UTC(2026, 11, 3, 7, 40) / 1000);
  // And our encoding of the same record is byte-identical.
  assert.deepEqual(encodeUtmp(rec), bytes);
});
