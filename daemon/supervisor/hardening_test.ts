/**
 * The sandbox's hardening on live processes spawned by the real {@linkcode FdSpawner}:
 * `protect-system` takes the capabilities that undo it from a root job, `/dev/shm` is private,
 * and the `seccomp` stanza's filter makes denied calls fail with EPERM (docs/job-files.md).
 */
import assert from "node:assert/strict";
import { type ExitStatus, SpawnError, type SpawnRequest } from "../ports.ts";
import { FdSpawner } from "./fd_spawner.ts";
import { NO_SANDBOX } from "../../security/sandbox.ts";
import { listChildren, readProcStat } from "../../sys/procfs.ts";
import { Reaper } from "./reaper.ts";
import { spawnRequest } from "../../tests/fakes/spawn_request.ts";

const PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const spawner = new FdSpawner({ reaper: new Reaper() });
const IS_ROOT = Deno.uid() === 0;

function sandbox(overrides: Partial<typeof NO_SANDBOX>): typeof NO_SANDBOX {
  return { ...NO_SANDBOX, ...overrides };
}

/** Runs `script` as a `console log` job in a fresh log dir; its status and output. */
async function run(
  script: string,
  overrides: Partial<SpawnRequest>,
): Promise<{ status: ExitStatus; log: string }> {
  const dir = Deno.makeTempDirSync({ prefix: "hardening-test-" });
  try {
    const req = spawnRequest({
      job: "hardened",
      env: [PATH],
      console: "log",
      logDir: dir,
      script: true,
      command: script,
      ...overrides,
    });
    const status = await spawner.spawn(req).exited;
    let log = "";
    try {
      log = Deno.readTextFileSync(`${dir}/hardened.log`);
    } catch {
      // no output
    }
    return { status, log };
  } finally {
    Deno.removeSync(dir, { recursive: true });
    const zombies = listChildren().filter((pid) => readProcStat(pid)?.state === "Z");
    assert.deepEqual(zombies, [], "no zombie child is left");
  }
}

/** CapEff of the shell running the script, as a bigint (hex in /proc/self/status). */
const CAP_EFF = "sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status";
const CAP_SYS_ADMIN = 21n;

Deno.test({
  name: "protect-system: a root job cannot remount / read-write or leave its mount namespace",
  ignore: !IS_ROOT,
  fn: async () => {
    const script = [
      `echo caps=$(${CAP_EFF})`,
      "mount -o remount,rw / 2>/dev/null && echo remounted || echo remount-refused",
      "touch /daybreak-hardening-probe 2>/dev/null && echo wrote-root || echo root-refused",
      "nsenter -t 1 -m true 2>/dev/null && echo entered-host || echo nsenter-refused",
      "unshare -m true 2>/dev/null && echo unshared || echo unshare-refused",
    ].join("\n");
    const r = await run(script, { sandbox: sandbox({ protectSystem: true }) });
    assert.deepEqual(r.status, { code: 0 });
    const [caps, ...rest] = r.log.trim().split("\n");
    assert.deepEqual(rest, [
      "remount-refused",
      "root-refused",
      "nsenter-refused",
      "unshare-refused",
    ]);
    const eff = BigInt(`0x${caps!.slice("caps=".length)}`);
    assert.equal(eff >> CAP_SYS_ADMIN & 1n, 0n, "CAP_SYS_ADMIN is gone");
    const leaked = (() => {
      try {
        Deno.removeSync("/daybreak-hardening-probe"); // a regression must not leave it behind
        return true;
      } catch {
        return false;
      }
    })();
    assert.equal(leaked, false, "the job could not write /");
    // The job keeps the rest of root's powers (e.g. CAP_CHOWN, bit 0).
    assert.equal(eff & 1n, 1n);
  },
});

Deno.test({
  name: "protect-system: the capabilities stanza keeps CAP_SYS_ADMIN when it names it",
  ignore: !IS_ROOT,
  fn: async () => {
    const r = await run(`${CAP_EFF}\nunshare -m true && echo unshared`, {
      sandbox: sandbox({ protectSystem: true, capabilities: ["setpcap", "sys_admin"] }),
    });
    assert.deepEqual(r.status, { code: 0 });
    const [caps, unshared] = r.log.trim().split("\n");
    assert.equal(BigInt(`0x${caps}`) >> CAP_SYS_ADMIN & 1n, 1n);
    assert.equal(unshared, "unshared");
  },
});

Deno.test("a sandbox with a file-system view has a private, empty /dev/shm", async () => {
  const probe = `/dev/shm/daybreak-hardening-${Deno.pid}`;
  // Deno refuses /dev paths without --allow-all: the shell makes the host's file.
  await new Deno.Command("/bin/sh", { args: ["-c", `echo host > ${probe}`] }).output();
  const leak = `/dev/shm/daybreak-leak-${Deno.pid}`;
  try {
    for (const s of [{ protectSystem: true }, { privateTmp: true }, { readOnlyPaths: ["/etc"] }]) {
      const script = [
        "echo entries=$(ls -A /dev/shm | wc -l)",
        `test -e ${probe} && echo sees-host || echo private`,
        `echo x > ${leak} && echo wrote-own-shm`,
      ].join("\n");
      const r = await run(script, { sandbox: sandbox(s) });
      assert.deepEqual(r.status, { code: 0 }, JSON.stringify(s));
      assert.equal(r.log, "entries=0\nprivate\nwrote-own-shm\n", JSON.stringify(s));
      const seen = await new Deno.Command("/bin/sh", { args: ["-c", `test -e ${leak}`] }).output();
      assert.equal(seen.code, 1, "the host's /dev/shm is untouched");
    }
  } finally {
    await new Deno.Command("/bin/rm", { args: ["-f", probe, leak] }).output();
  }
});

Deno.test("seccomp deny: the named call fails with EPERM, others still work", async () => {
  const script = [
    // scripts run under `sh -e`
    "unshare -U true 2>&1 || echo unshare=$?",
    // keyctl(KEYCTL_GET_KEYRING_ID) through perl's syscall(): 250 is keyctl on x86-64
    `perl -e '$r = syscall(250, 0, -3, 0); print "keyctl=", ($r < 0 ? $! : "ok"), "\\n"'`,
    "echo still-running",
  ].join("\n");
  const r = await run(script, {
    sandbox: sandbox({ seccomp: { default: false, deny: ["unshare", "keyctl"], allow: [] } }),
  });
  assert.deepEqual(r.status, { code: 0 });
  assert.equal(
    r.log,
    "unshare: unshare failed: Operation not permitted\nunshare=1\n" +
      "keyctl=Operation not permitted\nstill-running\n",
  );
});

Deno.test("seccomp default denies mount and keyctl; allow takes a call off the list", async () => {
  const script = [
    "unshare -U true 2>/dev/null && echo unshare-ok || echo unshare-denied",
    `perl -e '$r = syscall(250, 0, -3, 0); print "keyctl=", ($r < 0 ? $! : "ok"), "\\n"'`,
    // mount(2) on a bad source still reaches the kernel check: EPERM from the filter, not ENOENT
    `perl -e 'my @a = ("none", "/daybreak/no/such/dir", "tmpfs"); syscall(165, @a, 0, 0); print "mount=$!\\n"'`,
  ].join("\n");
  const denied = await run(script, {
    sandbox: sandbox({ seccomp: { default: true, deny: [], allow: [] } }),
  });
  assert.deepEqual(denied.status, { code: 0 });
  assert.equal(
    denied.log,
    "unshare-denied\nkeyctl=Operation not permitted\nmount=Operation not permitted\n",
  );
  const allowed = await run(script, {
    sandbox: sandbox({ seccomp: { default: true, deny: [], allow: ["unshare", "keyctl"] } }),
  });
  assert.deepEqual(allowed.status, { code: 0 });
  assert.match(allowed.log, /^unshare-ok\nkeyctl=ok\nmount=Operation not permitted\n$/);
});

Deno.test("seccomp with an unknown call name fails the spawn, naming it", () => {
  assert.throws(
    () =>
      spawner.spawn(spawnRequest({
        job: "hardened",
        env: [PATH],
        command: "/bin/true",
        sandbox: sandbox({ seccomp: { default: false, deny: ["frobnicate"], allow: [] } }),
      })),
    (e) =>
      e instanceof SpawnError && e.reason === "unable to sandbox: unknown system call frobnicate",
  );
});
