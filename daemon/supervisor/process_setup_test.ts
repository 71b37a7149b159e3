import assert from "node:assert/strict";
import { SpawnError } from "../ports.ts";
import {
  NO_CREDENTIALS,
  parseGroup,
  parsePasswd,
  requiredDirectories,
  resolveCredentials,
  type SetupSpec,
  TOOL_NAMES,
  wrapCommand,
} from "./process_setup.ts";
import { NO_SANDBOX } from "./sandbox_args.ts";

const PASSWD = [
  "root:x:0:0:root:/root:/bin/bash",
  "# a comment",
  "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
  "broken line",
  "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin",
  "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
  "",
].join("\n");

const GROUP = [
  "root:x:0:",
  "adm:x:4:syslog,www-data",
  "www-data:x:33:",
  "video:x:44:www-data,root",
  "nogroup:x:65534:",
].join("\n");

const ROOT = { euid: 0, egid: 0 };

Deno.test("parsePasswd() and parseGroup() skip comments and malformed lines", () => {
  assert.deepEqual(parsePasswd(PASSWD).map((u) => u.name), [
    "root",
    "daemon",
    "www-data",
    "nobody",
  ]);
  assert.deepEqual(parseGroup(GROUP).find((g) => g.name === "adm"), {
    name: "adm",
    gid: 4,
    members: ["syslog", "www-data"],
  });
});

Deno.test("resolveCredentials() uses the user's primary group and initgroups as root", () => {
  const c = resolveCredentials({ setuid: "www-data", setgid: null }, {
    passwd: PASSWD,
    group: GROUP,
  }, ROOT);
  assert.deepEqual(c, { uid: 33, gid: 33, groups: [33, 4, 44] });
});

Deno.test("resolveCredentials() lets setgid override the primary group", () => {
  const c = resolveCredentials({ setuid: "www-data", setgid: "video" }, {
    passwd: PASSWD,
    group: GROUP,
  }, ROOT);
  assert.deepEqual(c, { uid: 33, gid: 44, groups: [44, 4] });
});

Deno.test("resolveCredentials() with only setgid keeps the daemon user's memberships", () => {
  const c = resolveCredentials({ setuid: null, setgid: "adm" }, {
    passwd: PASSWD,
    group: GROUP,
  }, ROOT);
  assert.deepEqual(c, { uid: null, gid: 4, groups: [4, 44] });
});

Deno.test("resolveCredentials() leaves groups alone when the daemon is not root", () => {
  const c = resolveCredentials({ setuid: "nobody", setgid: null }, {
    passwd: PASSWD,
    group: GROUP,
  }, { euid: 1000, egid: 1000 });
  assert.deepEqual(c, { uid: 65534, gid: 65534, groups: null });
});

Deno.test("resolveCredentials() fails with Upstart's texts for unknown names", () => {
  const files = { passwd: PASSWD, group: GROUP };
  assert.throws(
    () => resolveCredentials({ setuid: "nosuchuser", setgid: null }, files, ROOT),
    (e) => e instanceof SpawnError && e.reason === "unable to find setuid user",
  );
  assert.throws(
    () => resolveCredentials({ setuid: "nobody", setgid: "nosuchgroup" }, files, ROOT),
    (e) => e instanceof SpawnError && e.reason === "unable to find setgid group",
  );
  assert.equal(resolveCredentials({ setuid: null, setgid: null }, files, ROOT), NO_CREDENTIALS);
});

const BASE: SetupSpec = {
  process: "main",
  umask: 0o022,
  nice: null,
  limits: {},
  chroot: null,
  chdir: null,
  credentials: NO_CREDENTIALS,
  daemonUmask: 0o022,
  daemonNice: 0,
};
const ARGV = ["/bin/sleep", "5"];

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
