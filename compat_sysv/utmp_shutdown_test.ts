import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { lastRunlevel, shutdownRecord } from "./utmp_file.ts";
import { UTMP_SIZE as UTMP_RECORD_SIZE } from "../sys/utmp.ts";

function runlevelRecord(level: string, prev: string): Uint8Array {
  const data = new Uint8Array(UTMP_RECORD_SIZE);
  const view = new DataView(data.buffer);
  view.setInt16(0, 1, true);
  view.setInt32(4, level.charCodeAt(0) + 256 * (prev === "N" ? 0 : prev.charCodeAt(0)), true);
  data.set(new TextEncoder().encode("runlevel"), 44);
  return data;
}

Deno.test("lastRunlevel() reads the last RUN_LVL record and skips others", () => {
  const boot = new Uint8Array(UTMP_RECORD_SIZE);
  new DataView(boot.buffer).setInt16(0, 2, true);
  const data = new Uint8Array(UTMP_RECORD_SIZE * 3);
  data.set(runlevelRecord("S", "N"), 0);
  data.set(boot, UTMP_RECORD_SIZE);
  data.set(runlevelRecord("2", "S"), UTMP_RECORD_SIZE * 2);
  assertEquals(lastRunlevel(data), { runlevel: "2", previous: "S" });
  assertEquals(lastRunlevel(boot), null);
  assertEquals(lastRunlevel(new Uint8Array()), null);
});

Deno.test("shutdownRecord() is sysvinit's RUN_LVL record of user shutdown on ~~", () => {
  const record = shutdownRecord(new Date(1_700_000_000_250));
  const view = new DataView(record.buffer);
  assertEquals(record.length, 384);
  assertEquals(view.getInt16(0, true), 1);
  assertEquals(new TextDecoder().decode(record.subarray(44, 52)), "shutdown");
  assertEquals(new TextDecoder().decode(record.subarray(8, 10)), "~~");
  assertEquals(view.getInt32(340, true), 1_700_000_000);
  assertEquals(view.getInt32(344, true), 250_000);
  // Not taken for a runlevel by the reader.
  assertEquals(lastRunlevel(record), null);
});
