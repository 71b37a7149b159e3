import assert from "node:assert/strict";
import {
  hardeningOptions,
  NO_SANDBOX,
  PROTECT_SYSTEM_DROPPED_CAPABILITIES,
  SECCOMP_FD,
  wrapCommand,
} from "./sandbox.ts";
import { SpawnError } from "./spawn_error.ts";
import { BASE_SETUP as BASE, SLEEP_ARGV as ARGV } from "../tests/fakes/setup_spec.ts";

const SHM = ["--perms", "1777", "--tmpfs", "/dev/shm"];
const DROPS = [
  "--cap-drop",
  "CAP_MKNOD",
  "--cap-drop",
  "CAP_SYS_MODULE",
  "--cap-drop",
  "CAP_SYS_RAWIO",
  "--cap-drop",
  "CAP_SYS_PTRACE",
  "--cap-drop",
  "CAP_SYS_ADMIN",
];

Deno.test("hardeningOptions(): protect-system drops the capabilities that undo it, /dev/shm private", () => {
  assert.deepEqual(hardeningOptions({ ...NO_SANDBOX, protectSystem: true }), [...SHM, ...DROPS]);
  assert.deepEqual(PROTECT_SYSTEM_DROPPED_CAPABILITIES.length, 5);
});

Deno.test("hardeningOptions(): the capabilities stanza keeps what it names", () => {
  const opts = hardeningOptions({
    ...NO_SANDBOX,
    protectSystem: true,
    capabilities: ["net_bind_service", "sys_admin", "sys_ptrace"],
  });
  // DROPS but CAP_SYS_PTRACE and CAP_SYS_ADMIN.
  assert.deepEqual(opts, [...SHM, ...DROPS.slice(0, 6)]);
});

Deno.test("hardeningOptions(): /dev/shm is private whenever the file-system view is", () => {
  for (
    const s of [
      { privateTmp: true },
      { readWritePaths: ["/srv"] },
      { readOnlyPaths: ["/etc"] },
    ]
  ) {
    assert.deepEqual(hardeningOptions({ ...NO_SANDBOX, ...s }), SHM, JSON.stringify(s));
  }
  // Namespaces without a file-system view keep the host's (see docs/job-files.md).
  assert.deepEqual(hardeningOptions({ ...NO_SANDBOX, privateNetwork: true }), []);
  assert.deepEqual(hardeningOptions({ ...NO_SANDBOX, hostname: "box" }), []);
  // A job that lists /dev/shm (or a path in it) asked for the host's.
  assert.deepEqual(hardeningOptions({ ...NO_SANDBOX, readWritePaths: ["/dev/shm/app"] }), []);
  assert.deepEqual(hardeningOptions({ ...NO_SANDBOX, readOnlyPaths: ["/dev/shm"] }), []);
  assert.deepEqual(hardeningOptions({ ...NO_SANDBOX, readOnlyPaths: ["/dev/shmx"] }), SHM);
});

Deno.test("wrapCommand(): seccomp alone runs bwrap, its filter opened on fd 9 by sh", () => {
  const seccomp = { default: true, deny: [], allow: [] };
  const w = wrapCommand(ARGV, {
    ...BASE,
    sandbox: { ...NO_SANDBOX, seccomp },
    seccompFile: "/run/f.bpf",
  });
  assert.equal(w.monitor, true);
  assert.deepEqual(w.argv.slice(0, 5), ["/bin/sh", "-c", 'exec "$@" 9<"$0"', "/run/f.bpf", "env"]);
  const bwrap = w.argv.indexOf("bwrap");
  const end = w.argv.indexOf("--", bwrap);
  assert.deepEqual(w.argv.slice(end - 3, end + 1), [
    "--seccomp",
    String(SECCOMP_FD),
    "--die-with-parent",
    "--",
  ]);
  assert.deepEqual(w.argv.slice(-2), ARGV);
  assert.throws(
    () => wrapCommand(ARGV, { ...BASE, sandbox: { ...NO_SANDBOX, seccomp } }),
    (e) => e instanceof SpawnError && e.reason === "unable to sandbox: no seccomp filter",
  );
});

Deno.test("wrapCommand(): the hardening comes after every mount of the stanzas", () => {
  const w = wrapCommand(ARGV, {
    ...BASE,
    sandbox: { ...NO_SANDBOX, protectSystem: true, readWritePaths: ["/srv"] },
  });
  const argv = w.argv;
  const bind = argv.indexOf("/srv");
  const shm = argv.indexOf("/dev/shm");
  assert.ok(argv.indexOf("/dev") < shm && bind < shm, "tmpfs /dev/shm after --dev-bind /dev");
  assert.ok(argv.indexOf("--cap-drop") > shm);
  assert.equal(argv[argv.indexOf("--die-with-parent") - 1], "CAP_SYS_ADMIN");
});
