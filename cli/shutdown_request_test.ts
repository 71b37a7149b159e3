import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { FakeClient, rpcError } from "./_fake_client.ts";
import { requestRunlevel, runlevelEnv } from "./shutdown_request.ts";

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
