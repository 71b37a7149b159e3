import assert from "node:assert/strict";
import { peerCredentials, PeerCredentialsError, PeerCredTracker } from "./peercred.ts";

const CLIENT = new URL("../supervisor/testdata/peer_client.ts", import.meta.url).pathname;

Deno.test("PeerCredTracker identifies a connection from this process", async () => {
  const dir = Deno.makeTempDirSync();
  const path = `${dir}/ctl.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  try {
    const tracker = new PeerCredTracker(path);
    const [client, server] = await Promise.all([
      Deno.connect({ transport: "unix", path }),
      listener.accept(),
    ]);
    const creds = tracker.register(server);
    assert.deepEqual(creds, { pid: Deno.pid, uid: 0, gid: 0 });
    assert.equal(typeof tracker.fdOf(server), "number");
    assert.deepEqual(tracker.credentialsOf(server), creds);
    assert.throws(() => peerCredentials(path), PeerCredentialsError, "already claimed");
    tracker.release(server);
    assert.equal(tracker.fdOf(server), undefined);
    client.close();
    server.close();
  } finally {
    listener.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("peerCredentials() reads the uid of a client running as nobody", async () => {
  const dir = Deno.makeTempDirSync();
  Deno.chmodSync(dir, 0o755);
  const path = `${dir}/ctl.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  Deno.chmodSync(path, 0o777);
  const denoDir = Deno.makeTempDirSync();
  Deno.chmodSync(denoDir, 0o777);
  const client = new Deno.Command("setpriv", {
    args: [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      Deno.execPath(),
      "run",
      "--no-config",
      "--allow-read",
      "--allow-write",
      "--allow-net",
      CLIENT,
      path,
    ],
    env: { DENO_DIR: denoDir, NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    // A client that dies before connecting must fail the test, not hang it.
    const early = client.status.then((s) => {
      throw new Error(`Cannot connect as nobody: client exited with ${s.code}`);
    });
    const conn = await Promise.race([listener.accept(), early]);
    const tracker = new PeerCredTracker(path);
    const anonymous = peerCredentials(path);
    const creds = tracker.register(conn);
    assert.deepEqual(creds, { pid: client.pid, uid: 65534, gid: 65534 });
    assert.deepEqual(anonymous, creds, "the newest unclaimed connection is this one");
    await conn.read(new Uint8Array(1));
    await conn.write(new Uint8Array([1]));
    const status = await client.output();
    assert.equal(status.code, 0, new TextDecoder().decode(status.stderr));
    early.catch(() => {});
    tracker.release(conn);
    conn.close();
  } finally {
    try {
      client.kill("SIGKILL");
    } catch {
      // already gone
    }
    listener.close();
    Deno.removeSync(dir, { recursive: true });
    Deno.removeSync(denoDir, { recursive: true });
  }
});

Deno.test("peerCredentials() fails clearly when nothing was accepted", () => {
  assert.throws(
    () => peerCredentials("/nonexistent/ctl.sock"),
    (e) => e instanceof PeerCredentialsError && e.listenPath === "/nonexistent/ctl.sock",
  );
});
