import assert from "node:assert/strict";
import {
  EACCES,
  ECHILD,
  ENOENT,
  posixSpawnp,
  signalsOf,
  sigset,
  SpawnSysError,
  waitpidNoHang,
  type WaitStatus,
} from "./posix_spawn.ts";

async function waitFor(pid: number): Promise<WaitStatus> {
  for (;;) {
    const s = waitpidNoHang(pid);
    if (s !== null) return s;
    await new Promise((r) => setTimeout(r, 2));
  }
}

const env = ["PATH=/usr/bin:/bin"];
const base = { env, sigmask: [], sigdefault: [] };

Deno.test("sigset and signalsOf round-trip, also from a /proc status mask", () => {
  const set = sigset([1, 9, 15, 32, 33, 64]);
  assert.equal(set.length, 128);
  assert.deepEqual(signalsOf(set), [1, 9, 15, 32, 33, 64]);
  assert.deepEqual(signalsOf("0000000180004001"), [1, 15, 32, 33]);
  assert.deepEqual(signalsOf("0"), []);
  assert.throws(() => sigset([0]), RangeError);
  assert.throws(() => sigset([65]), RangeError);
});

Deno.test("posixSpawnp runs a program found in PATH; waitpidNoHang decodes its status", async () => {
  const pid = posixSpawnp({ ...base, file: "sh", argv: ["sh", "-c", "exit 7"] });
  assert.deepEqual(await waitFor(pid), { code: 7 });
  // SIGQUIT's default action explicitly: one ignored by the test process (a background job of a
  // shell without job control) would be inherited, and `kill -QUIT $$` would do nothing.
  const killed = posixSpawnp({
    ...base,
    sigdefault: [3],
    file: "sh",
    argv: ["sh", "-c", "kill -QUIT $$"],
  });
  assert.deepEqual(await waitFor(killed), { signal: 3 });
  assert.throws(() => waitpidNoHang(pid), (e) => e instanceof SpawnSysError && e.errno === ECHILD);
});

Deno.test("exec failures are reported synchronously by errno", () => {
  const fail = (file: string) => {
    try {
      posixSpawnp({ ...base, file, argv: [file] });
    } catch (e) {
      return e instanceof SpawnSysError ? e.errno : -1;
    }
    return 0;
  };
  assert.equal(fail("no-such-program-xyz"), ENOENT);
  assert.equal(fail("/no/such/path"), ENOENT);
  const file = Deno.makeTempFileSync();
  try {
    Deno.chmodSync(file, 0o644);
    assert.equal(fail(file), EACCES);
  } finally {
    Deno.removeSync(file);
  }
});

Deno.test("the child gets the requested mask, default dispositions and its own group", async () => {
  const pid = posixSpawnp({
    file: "sleep",
    argv: ["sleep", "30"],
    env,
    sigmask: [10],
    sigdefault: Array.from({ length: 64 }, (_, i) => i + 1),
    pgroup: 0,
  });
  try {
    // sleep leaves its signal state alone (a shell would clear its mask at start).
    const read = async (file: string) =>
      new TextDecoder().decode((await new Deno.Command("cat", { args: [file] }).output()).stdout);
    const status = await read(`/proc/${pid}/status`);
    const stat = await read(`/proc/${pid}/stat`);
    assert.match(status, /SigBlk:\s*0000000000000200/);
    assert.match(status, /SigIgn:\s*0000000000000000/);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    assert.equal(Number(fields[2]), pid, "leads its own process group");
  } finally {
    Deno.kill(pid, "SIGKILL");
    assert.deepEqual(await waitFor(pid), { signal: 9 });
  }
});
