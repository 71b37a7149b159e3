import assert from "node:assert/strict";
import { FakeClient, rpcError } from "../cli/_fake_client.ts";
import { RecordingOutput } from "../cli/io.ts";
import { decodeAll, runlevelOf, UT_TYPE } from "../sys/utmp.ts";
import { FakeRunlevelStore } from "./_fake_store.ts";
import { parseTelinitArgs, telinit, type TelinitDeps } from "./telinit.ts";
import { UTMP_PATH, WTMP_PATH } from "./utmp_file.ts";

function world(over: Partial<TelinitDeps> = {}, client = new FakeClient({})) {
  const store = new FakeRunlevelStore();
  store.files.set(UTMP_PATH, new Uint8Array());
  store.files.set(WTMP_PATH, new Uint8Array());
  const io = new RecordingOutput();
  const deps: TelinitDeps = {
    env: {},
    uid: 0,
    now: () => 1_700_000_000_000,
    kernelRelease: () => "6.1.0-test",
    store,
    connect: () => Promise.resolve(client),
    io,
    ...over,
  };
  return { deps, store, io, client };
}

function emitting() {
  return new FakeClient({ "event.emit": () => ({}), "conf.reload": () => ({}) });
}

Deno.test("telinit N: records the change in utmp and wtmp, then emits without waiting", async () => {
  const w = world({}, emitting());
  assert.equal(await telinit(["2"], w.deps), 0);
  assert.deepEqual(w.client.calls, [{
    method: "event.emit",
    params: { name: "runlevel", env: ["RUNLEVEL=2", "PREVLEVEL=N"], wait: false },
  }]);
  assert.equal(await telinit(["s"], w.deps), 0);
  assert.deepEqual((w.client.calls[1]?.params as { env: string[] }).env, [
    "RUNLEVEL=S",
    "PREVLEVEL=2",
  ]);
  const utmp = decodeAll(w.store.files.get(UTMP_PATH) as Uint8Array);
  assert.equal(utmp.length, 2, "utmp keeps one boot and one runlevel record");
  assert.equal(utmp[0]?.type, UT_TYPE.BOOT_TIME);
  assert.deepEqual(runlevelOf(utmp[1]!), { runlevel: "S", previous: "2" });
  const wtmp = decodeAll(w.store.files.get(WTMP_PATH) as Uint8Array);
  assert.deepEqual(wtmp.map((r) => [r.type, r.user, r.host]), [
    [UT_TYPE.BOOT_TIME, "reboot", "6.1.0-test"],
    [UT_TYPE.RUN_LVL, "runlevel", "6.1.0-test"],
    [UT_TYPE.RUN_LVL, "runlevel", "6.1.0-test"],
  ]);
  assert.equal(w.io.stderr, "");
});

Deno.test("telinit: PREVLEVEL comes from $RUNLEVEL first; -e adds variables", async () => {
  const w = world({ env: { RUNLEVEL: "3" } }, emitting());
  assert.equal(await telinit(["-e", "INIT_HALT=POWEROFF", "0", "-t", "5"], w.deps), 0);
  assert.deepEqual((w.client.calls[0]?.params as { env: string[] }).env, [
    "RUNLEVEL=0",
    "PREVLEVEL=3",
    "INIT_HALT=POWEROFF",
  ]);
});

Deno.test("telinit: an empty $RUNLEVEL means no previous level", async () => {
  const w = world({ env: { RUNLEVEL: "" } }, emitting());
  assert.equal(await telinit(["2"], w.deps), 0);
  assert.deepEqual((w.client.calls[0]?.params as { env: string[] }).env, [
    "RUNLEVEL=2",
    "PREVLEVEL=N",
  ]);
});

Deno.test("telinit: a missing utmp is no obstacle", async () => {
  const w = world({}, emitting());
  w.store.files.clear();
  assert.equal(await telinit(["2"], w.deps), 0);
  assert.equal(w.client.calls.length, 1);
  assert.equal(w.store.files.size, 0);
});

Deno.test("telinit q reloads; u asks for a re-exec and says so when unsupported", async () => {
  const w = world({}, emitting());
  assert.equal(await telinit(["Q"], w.deps), 0);
  assert.equal(w.client.calls[0]?.method, "conf.reload");
  const u = world({}, new FakeClient({}));
  assert.equal(await telinit(["u"], u.deps), 1);
  assert.equal(u.client.calls[0]?.method as string, "daemon.reexec");
  assert.equal(u.io.stderr, "telinit: the daemon does not support re-executing itself\n");
});

Deno.test("telinit: usage errors, root only, daemon errors", async () => {
  for (
    const [args, text] of [
      [[], "telinit: missing runlevel\n"],
      [["7"], "telinit: illegal runlevel: 7\n"],
      [["22"], "telinit: illegal runlevel: 22\n"],
      [["--bogus"], "telinit: unrecognized option '--bogus'\n"],
    ] as const
  ) {
    const w = world();
    assert.equal(await telinit(args, w.deps), 1);
    assert.equal(w.io.stderr, `${text}Try \`telinit --help' for more information.\n`);
    assert.equal(w.client.calls.length, 0);
  }
  const user = world({ uid: 1000 });
  assert.equal(await telinit(["2"], user.deps), 1);
  assert.equal(user.io.stderr, "telinit: Need to be root\n");
  const failing = world(
    {},
    new FakeClient({
      "event.emit": () => {
        throw rpcError("PermissionDenied", "You do not have permission to emit events");
      },
    }),
  );
  assert.equal(await telinit(["1"], failing.deps), 1);
  assert.equal(failing.io.stderr, "telinit: You do not have permission to emit events\n");
});

Deno.test("telinit: argument parsing", () => {
  assert.deepEqual(parseTelinitArgs(["-eA=1", "3"]), {
    kind: "run",
    runlevel: "3",
    extraEnv: ["A=1"],
  });
  assert.equal(parseTelinitArgs(["--help"]).kind, "help");
  assert.throws(() => parseTelinitArgs(["-e"]));
  assert.throws(() => parseTelinitArgs(["-e", "NOEQ", "2"]));
});
