import assert from "node:assert/strict";
import {
  bwrapOptions,
  MONITOR_IGNORED_SIGNALS,
  monitorStatus,
  needsNamespaces,
  NO_SANDBOX,
  privilegeOptions,
  requiredDirectories,
  TOOL_NAMES,
  wrapCommand,
} from "./sandbox.ts";
import { SpawnError } from "./spawn_error.ts";
import { BASE_SETUP as BASE, SLEEP_ARGV as ARGV } from "../tests/fakes/setup_spec.ts";

const SIGNALS = MONITOR_IGNORED_SIGNALS.join(",");
/** bwrap's /dev and fresh /proc, after the root bind of every sandbox. */
const DEV_PROC = ["--dev-bind", "/dev", "/dev", "--proc", "/proc"];

Deno.test("MONITOR_IGNORED_SIGNALS spares KILL, CHLD, CONT, STOP and glibc's 32 and 33", () => {
  for (const n of [9, 17, 18, 19, 32, 33]) assert.equal(MONITOR_IGNORED_SIGNALS.includes(n), false);
  for (const n of [1, 2, 3, 15, 10, 12, 34, 64]) {
    assert.equal(MONITOR_IGNORED_SIGNALS.includes(n), true);
  }
  assert.equal(MONITOR_IGNORED_SIGNALS.length, 27 + 31);
});

Deno.test("needsNamespaces() is false for the privilege stanzas alone", () => {
  assert.equal(needsNamespaces(NO_SANDBOX), false);
  assert.equal(needsNamespaces({ ...NO_SANDBOX, noNewPrivileges: true, capabilities: [] }), false);
  for (
    const s of [
      { privateTmp: true },
      { protectSystem: true },
      { privateNetwork: true },
      { hostname: "h" },
      { readWritePaths: ["/x"] },
      { readOnlyPaths: ["/x"] },
    ]
  ) {
    assert.equal(needsNamespaces({ ...NO_SANDBOX, ...s }), true, JSON.stringify(s));
  }
});

Deno.test("bwrapOptions() binds / read-write by default, with /dev and a fresh /proc", () => {
  assert.deepEqual(bwrapOptions({ ...NO_SANDBOX, hostname: "box" }), [
    "--bind",
    "/",
    "/",
    ...DEV_PROC,
    "--unshare-uts",
    "--hostname",
    "box",
    "--die-with-parent",
    "--",
  ]);
});

Deno.test("bwrapOptions() for the full sandbox: read-only /, private /tmp, paths, no network", () => {
  const opts = bwrapOptions({
    ...NO_SANDBOX,
    protectSystem: true,
    privateTmp: true,
    readWritePaths: ["/var/lib/app", "/srv"],
    readOnlyPaths: ["/var/lib/app/conf", "/srv"],
    privateNetwork: true,
  });
  assert.deepEqual(opts, [
    "--ro-bind",
    "/",
    "/",
    ...DEV_PROC,
    "--perms",
    "1777",
    "--tmpfs",
    "/tmp",
    // shallowest first; at equal depth read-only last
    "--bind",
    "/srv",
    "/srv",
    "--ro-bind",
    "/srv",
    "/srv",
    "--bind",
    "/var/lib/app",
    "/var/lib/app",
    "--ro-bind",
    "/var/lib/app/conf",
    "/var/lib/app/conf",
    "--unshare-net",
    "--die-with-parent",
    "--",
  ]);
  assert.equal(opts.includes("--new-session"), false);
  assert.equal(opts.includes("--unshare-pid"), false);
});

Deno.test("bwrapOptions() mounts a read-write path inside a read-only one after it", () => {
  const opts = bwrapOptions({
    ...NO_SANDBOX,
    readWritePaths: ["/etc/app/state/"],
    readOnlyPaths: ["/etc/app"],
  });
  assert.deepEqual(opts.slice(8, 14), [
    "--ro-bind",
    "/etc/app",
    "/etc/app",
    "--bind",
    "/etc/app/state/",
    "/etc/app/state/",
  ]);
});

Deno.test("privilegeOptions() maps no-new-privileges and the bounding set to setpriv", () => {
  assert.deepEqual(privilegeOptions(NO_SANDBOX), []);
  assert.deepEqual(privilegeOptions({ ...NO_SANDBOX, noNewPrivileges: true }), ["--no-new-privs"]);
  assert.deepEqual(privilegeOptions({ ...NO_SANDBOX, capabilities: [] }), [
    "--bounding-set",
    "-all",
  ]);
  assert.deepEqual(
    privilegeOptions({ ...NO_SANDBOX, capabilities: ["kill", "net_raw"] }, ["kill", "setuid"]),
    ["--bounding-set", "-all,+kill,+net_raw,+setuid"],
  );
});

Deno.test("monitorStatus() reads bwrap's 128+N back as signal N", () => {
  assert.deepEqual(monitorStatus(0), { code: 0 });
  assert.deepEqual(monitorStatus(128), { code: 128 });
  assert.deepEqual(monitorStatus(143), { signal: 15 });
  assert.deepEqual(monitorStatus(192), { signal: 64 });
  assert.deepEqual(monitorStatus(193), { code: 193 });
});

Deno.test("wrapCommand() puts env and bwrap outermost, restoring signals inside", () => {
  const w = wrapCommand(ARGV, {
    ...BASE,
    limits: { nofile: [64, 64] },
    credentials: { uid: 65534, gid: 65534, groups: [65534] },
    sandbox: { ...NO_SANDBOX, privateNetwork: true, noNewPrivileges: true, capabilities: [] },
  });
  assert.equal(w.monitor, true);
  assert.deepEqual(w.argv, [
    "env",
    `--ignore-signal=${SIGNALS}`,
    "bwrap",
    "--bind",
    "/",
    "/",
    ...DEV_PROC,
    "--unshare-net",
    "--die-with-parent",
    "--",
    "env",
    `--default-signal=${SIGNALS}`,
    "prlimit",
    "--nofile=64:64",
    "--",
    "setpriv",
    "--reuid",
    "65534",
    "--regid",
    "65534",
    "--groups",
    "65534",
    "--no-new-privs",
    "--bounding-set",
    "-all",
    "--",
    "/bin/sleep",
    "5",
  ]);
});

Deno.test("wrapCommand() uses setpriv alone for the privilege stanzas (no monitor)", () => {
  const w = wrapCommand(ARGV, { ...BASE, sandbox: { ...NO_SANDBOX, noNewPrivileges: true } });
  assert.deepEqual(w, { argv: ["setpriv", "--no-new-privs", "--", ...ARGV], cwd: null });
  assert.deepEqual(wrapCommand(ARGV, { ...BASE, sandbox: NO_SANDBOX }), { argv: ARGV, cwd: null });
});

Deno.test("wrapCommand() with chroot applies the bounding set before nsenter, keeping its needs", () => {
  const w = wrapCommand(ARGV, {
    ...BASE,
    chroot: "/jail",
    credentials: { uid: 7, gid: 8, groups: [] },
    sandbox: { ...NO_SANDBOX, capabilities: ["net_bind_service"] },
  });
  assert.deepEqual(w.argv, [
    "setpriv",
    "--regid",
    "8",
    "--clear-groups",
    "--bounding-set",
    "-all,+net_bind_service,+sys_chroot,+setuid",
    "nsenter",
    "--root=/jail",
    "--wd=/jail",
    "-S",
    "7",
    "--",
    ...ARGV,
  ]);
  const rootJob = wrapCommand(ARGV, {
    ...BASE,
    chroot: "/jail",
    sandbox: { ...NO_SANDBOX, noNewPrivileges: true },
  });
  assert.deepEqual(rootJob.argv.slice(0, 3), ["setpriv", "--no-new-privs", "nsenter"]);
});

Deno.test("wrapCommand() fails a sandbox whose tool is missing, naming the tool", () => {
  const tools = { ...TOOL_NAMES, bwrap: null };
  const spec = { ...BASE, sandbox: { ...NO_SANDBOX, privateTmp: true } };
  assert.throws(
    () => wrapCommand(ARGV, spec, tools),
    (e) => e instanceof SpawnError && e.reason === "unable to sandbox: bwrap not found",
  );
  assert.throws(
    () => wrapCommand(ARGV, spec, { ...TOOL_NAMES, env: null }),
    (e) => e instanceof SpawnError && e.reason === "unable to sandbox: env not found",
  );
  assert.throws(
    () =>
      wrapCommand(ARGV, { ...BASE, sandbox: { ...NO_SANDBOX, capabilities: [] } }, {
        ...TOOL_NAMES,
        setpriv: null,
      }),
    (e) => e instanceof SpawnError && e.reason === "unable to sandbox: setpriv not found",
  );
  // Without a sandbox stanza a missing tool is left to fail at exec, as before.
  assert.equal(
    wrapCommand(ARGV, { ...BASE, nice: 3 }, { ...TOOL_NAMES, nice: null }).argv[0],
    "nice",
  );
});

Deno.test("wrapCommand() never sandboxes the security process", () => {
  const w = wrapCommand(ARGV, {
    ...BASE,
    process: "security",
    sandbox: { ...NO_SANDBOX, protectSystem: true, noNewPrivileges: true },
  });
  assert.deepEqual(w, { argv: ARGV, cwd: null });
});

Deno.test("bwrapOptions() creates reachable parents for paths listed inside a private /tmp", () => {
  const opts = bwrapOptions({
    ...NO_SANDBOX,
    privateTmp: true,
    readWritePaths: ["/tmp/a/b/rw", "/tmpx/y/z", "/tmp/top"],
    readOnlyPaths: ["/tmp/a/ro"],
  });
  assert.deepEqual(opts.slice(12, 18), ["--perms", "0755", "--dir", "/tmp/a", "--perms", "0755"]);
  assert.deepEqual(opts.slice(18, 20), ["--dir", "/tmp/a/b"]);
  assert.equal(opts[20], "--bind");
  assert.equal(opts.filter((o) => o === "--dir").length, 2);
  // Without a private /tmp the host's directories are there already.
  assert.equal(
    bwrapOptions({ ...NO_SANDBOX, readWritePaths: ["/tmp/a/b"] }).includes("--dir"),
    false,
  );
});

Deno.test("wrapCommand() keeps the fast path when no stanza needs a tool", () => {
  assert.deepEqual(wrapCommand(ARGV, BASE), { argv: ARGV, cwd: null });
  assert.deepEqual(wrapCommand(ARGV, { ...BASE, chdir: "/srv" }), { argv: ARGV, cwd: "/srv" });
  assert.deepEqual(wrapCommand(ARGV, { ...BASE, nice: 0 }).argv, ARGV);
});

Deno.test("wrapCommand() chains prlimit, umask, nice and setpriv in Upstart's order", () => {
  const w = wrapCommand(ARGV, {
    ...BASE,
    limits: { nofile: [1024, 4096], core: ["unlimited", "unlimited"] },
    umask: 0o027,
    nice: 5,
    chdir: "/srv",
    credentials: { uid: 33, gid: 33, groups: [33, 4] },
  });
  assert.deepEqual(w.argv, [
    "prlimit",
    "--nofile=1024:4096",
    "--core=unlimited:unlimited",
    "--",
    "/bin/sh",
    "-c",
    'umask 0027 && exec "$@"',
    "/bin/sh",
    "nice",
    "-n",
    "5",
    "setpriv",
    "--reuid",
    "33",
    "--regid",
    "33",
    "--groups",
    "33,4",
    "--",
    "/bin/sleep",
    "5",
  ]);
  assert.equal(w.cwd, "/srv");
});

Deno.test("wrapCommand() makes nice relative to the daemon's own nice value", () => {
  assert.deepEqual(wrapCommand(ARGV, { ...BASE, nice: 2, daemonNice: 5 }).argv.slice(0, 3), [
    "nice",
    "-n",
    "-3",
  ]);
});

Deno.test("wrapCommand() sets only the group for setgid alone", () => {
  const w = wrapCommand(ARGV, { ...BASE, credentials: { uid: null, gid: 4, groups: null } });
  assert.deepEqual(w.argv.slice(0, 5), ["setpriv", "--regid", "4", "--keep-groups", "--"]);
});

Deno.test("wrapCommand() chroots with nsenter, chdir inside the root, uid set last", () => {
  const w = wrapCommand(ARGV, {
    ...BASE,
    chroot: "/jail",
    chdir: "/srv",
    credentials: { uid: 65534, gid: 65534, groups: [] },
  });
  assert.deepEqual(w.argv, [
    "setpriv",
    "--regid",
    "65534",
    "--clear-groups",
    "nsenter",
    "--root=/jail",
    "--wd=/jail/srv",
    "-S",
    "65534",
    "--",
    "/bin/sleep",
    "5",
  ]);
  assert.equal(w.cwd, null);
  assert.deepEqual(wrapCommand(ARGV, { ...BASE, chroot: "/jail" }).argv.slice(0, 4), [
    "nsenter",
    "--root=/jail",
    "--wd=/jail",
    "--",
  ]);
});

Deno.test("wrapCommand() uses the given tool paths", () => {
  const w = wrapCommand(ARGV, { ...BASE, nice: 1 }, {
    prlimit: "/p",
    nice: "/usr/bin/nice",
    setpriv: "/s",
    nsenter: "/n",
  });
  assert.equal(w.argv[0], "/usr/bin/nice");
});

Deno.test("wrapCommand() confines with aa-exec last, so the setup tools run unconfined", () => {
  const aa = ["aa-exec", "-p", "web", "--"];
  const plain = wrapCommand(ARGV, { ...BASE, apparmorSwitch: "web" });
  assert.deepEqual(plain, { argv: [...aa, ...ARGV], cwd: null });
  const w = wrapCommand(ARGV, {
    ...BASE,
    apparmorSwitch: "web",
    limits: { nofile: [64, 64] },
    nice: 1,
    credentials: { uid: 33, gid: 33, groups: [33] },
    sandbox: { ...NO_SANDBOX, noNewPrivileges: true },
  });
  assert.deepEqual(w.argv.slice(0, 5), ["prlimit", "--nofile=64:64", "--", "nice", "-n"]);
  assert.deepEqual(w.argv.slice(w.argv.indexOf("setpriv")), [
    "setpriv",
    "--reuid",
    "33",
    "--regid",
    "33",
    "--groups",
    "33",
    "--no-new-privs",
    "--",
    ...aa,
    ...ARGV,
  ]);
});

Deno.test("wrapCommand() confines before nsenter under chroot, where aa-exec may be missing", () => {
  const w = wrapCommand(ARGV, {
    ...BASE,
    apparmorSwitch: "jailed",
    chroot: "/jail",
    credentials: { uid: 65534, gid: 65534, groups: [] },
  }, { ...TOOL_NAMES, aaExec: "/usr/bin/aa-exec" });
  assert.deepEqual(w.argv, [
    "setpriv",
    "--regid",
    "65534",
    "--clear-groups",
    "/usr/bin/aa-exec",
    "-p",
    "jailed",
    "--",
    "nsenter",
    "--root=/jail",
    "--wd=/jail",
    "-S",
    "65534",
    "--",
    ...ARGV,
  ]);
});

Deno.test("wrapCommand() fails the spawn rather than run unconfined without aa-exec", () => {
  assert.throws(
    () => wrapCommand(ARGV, { ...BASE, apparmorSwitch: "web" }, { ...TOOL_NAMES, aaExec: null }),
    (e: unknown) =>
      e instanceof SpawnError &&
      e.reason === "unable to switch to apparmor profile web: aa-exec not found",
  );
  // The security process never switches.
  assert.deepEqual(
    wrapCommand(ARGV, { ...BASE, process: "security", apparmorSwitch: "web" }).argv,
    ARGV,
  );
});

Deno.test("wrapCommand() skips every setup step for the security process", () => {
  const w = wrapCommand(ARGV, {
    ...BASE,
    process: "security",
    umask: 0o077,
    nice: 10,
    chroot: "/jail",
    limits: { nofile: [1, 1] },
  });
  assert.deepEqual(w, { argv: ARGV, cwd: null });
  assert.deepEqual(requiredDirectories({ process: "security", chroot: "/j", chdir: "/x" }), {
    root: null,
    cwd: null,
  });
});

Deno.test("requiredDirectories() resolves chdir inside the chroot", () => {
  assert.deepEqual(requiredDirectories({ process: "main", chroot: "/j", chdir: "/x" }), {
    root: "/j",
    cwd: "/j/x",
  });
  assert.deepEqual(requiredDirectories({ process: "main", chroot: null, chdir: null }), {
    root: null,
    cwd: null,
  });
});
