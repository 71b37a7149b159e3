import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { FakeClient, rpcError } from "./_fake_client.ts";
import {
  recordingRequest,
  requestRunlevel,
  runlevelEnv,
  SYSTEM_SOCKET,
} from "./shutdown_request.ts";
import { lastRunlevel } from "../compat_sysv/utmp_file.ts";
import { decodeAll, UT_TYPE } from "../sys/utmp.ts";

Deno.test("runlevelEnv() adds INIT_HALT only to runlevel 0 with a chosen mode", () => {
  assertEquals(runlevelEnv({ runlevel: "0", previous: "2", haltMode: "poweroff" }), [
    "RUNLEVEL=0",
    "PREVLEVEL=2",
    "INIT_HALT=POWEROFF",
  ]);
  assertEquals(runlevelEnv({ runlevel: "0", previous: "N", haltMode: "halt" }), [
    "RUNLEVEL=0",
    "PREVLEVEL=N",
    "INIT_HALT=HALT",
  ]);
  assertEquals(runlevelEnv({ runlevel: "0", previous: "2", haltMode: null }), [
    "RUNLEVEL=0",
    "PREVLEVEL=2",
  ]);
  assertEquals(runlevelEnv({ runlevel: "6", previous: "3", haltMode: "halt" }), [
    "RUNLEVEL=6",
    "PREVLEVEL=3",
  ]);
});

Deno.test("requestRunlevel() emits runlevel without waiting, on the given socket", async () => {
  const client = new FakeClient({ "event.emit": () => ({}) });
  const paths: string[] = [];
  await requestRunlevel({ runlevel: "6", previous: "2", haltMode: null }, "/x.sock", (path) => {
    paths.push(path);
    return Promise.resolve(client);
  });
  assertEquals(paths, ["/x.sock"]);
  assertEquals(client.calls, [{
    method: "event.emit",
    params: { name: "runlevel", env: ["RUNLEVEL=6", "PREVLEVEL=2"], wait: false },
  }]);
  assertEquals(client.closed, true);
});

Deno.test("requestRunlevel() closes the connection when the daemon refuses", async () => {
  const client = new FakeClient({
    "event.emit": () => {
      throw rpcError("PermissionDenied", "You do not have permission to modify job: x");
    },
  });
  await rejects(
    requestRunlevel(
      { runlevel: "0", previous: "2", haltMode: null },
      "/x",
      () => Promise.resolve(client),
    ),
  );
  assertEquals(client.closed, true);
});

Deno.test("recordingRequest() records the change in utmp and wtmp, then emits to the system daemon", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const utmpPath = `${dir}/utmp`, wtmpPath = `${dir}/wtmp`;
    await Deno.writeFile(utmpPath, new Uint8Array());
    await Deno.writeFile(wtmpPath, new Uint8Array());
    const order: string[] = [];
    const client = new FakeClient({
      "event.emit": () => {
        order.push(`emit, utmp says ${lastRunlevel(Deno.readFileSync(utmpPath))?.runlevel}`);
        return {};
      },
    });
    const request = recordingRequest("shutdown", { utmpPath, wtmpPath });
    const connect = () => Promise.resolve(client);
    // Another daemon than the system's (--socket): no record.
    await request({ runlevel: "6", previous: "2", haltMode: null }, "/x.sock", connect);
    assertEquals(order, ["emit, utmp says undefined"]);
    order.length = 0;
    await request({ runlevel: "0", previous: "2", haltMode: null }, SYSTEM_SOCKET, connect);
    assertEquals(order, ["emit, utmp says 0"]);
    assertEquals(lastRunlevel(await Deno.readFile(utmpPath)), { runlevel: "0", previous: "2" });
    // wtmp had no level 2: a boot record first, then the change, as telinit writes them.
    const records = decodeAll(await Deno.readFile(wtmpPath));
    assertEquals(records.map((r) => [r.type, r.user]), [
      [UT_TYPE.BOOT_TIME, "reboot"],
      [UT_TYPE.RUN_LVL, "runlevel"],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
