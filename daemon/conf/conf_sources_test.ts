import assert from "node:assert/strict";
import {
  confFileKind,
  configSources,
  isWalkedDirectory,
  jobNameFromPath,
  userDefaultDirs,
} from "./conf_sources.ts";

const paths = (s: { path: string }[]) => s.map((x) => x.path);

Deno.test("configSources() gives /etc/init.conf then /etc/init in system mode", () => {
  const s = configSources({ user: false, env: {} });
  assert.deepEqual(s, [
    { path: "/etc/init.conf", kind: "file" },
    { path: "/etc/init", kind: "dir" },
  ]);
});

Deno.test("configSources() puts prepend dirs first and append dirs last whatever the order", () => {
  const s = configSources({
    user: false,
    confdirs: ["/a", "/b/"],
    prependConfdirs: ["/p1", "/p2"],
    appendConfdirs: ["/z"],
    env: { UPSTART_CONFDIR: "/ignored" },
  });
  assert.deepEqual(paths(s), ["/p1", "/p2", "/etc/init.conf", "/a", "/b", "/z"]);
});

Deno.test("configSources() uses $UPSTART_CONFDIR when no --confdir is given", () => {
  assert.deepEqual(paths(configSources({ user: false, env: { UPSTART_CONFDIR: "/x/init" } })), [
    "/etc/init.conf",
    "/x/init",
  ]);
});

Deno.test("configSources() lists the user defaults of docs/configuration.md#sources in order", () => {
  const env = { HOME: "/home/u", XDG_CONFIG_HOME: "/cfg", XDG_CONFIG_DIRS: "/x1:rel:/x2" };
  assert.deepEqual(paths(configSources({ user: true, env })), [
    "/cfg/upstart",
    "/home/u/.init",
    "/x1/upstart",
    "/x2/upstart",
    "/usr/share/upstart/sessions",
  ]);
});

Deno.test("userDefaultDirs() falls back to ~/.config and /etc/xdg and honours UPSTART_NO_SYSTEM_USERCONFDIR", () => {
  assert.deepEqual(
    userDefaultDirs({
      HOME: "/h",
      XDG_CONFIG_HOME: "relative",
      UPSTART_NO_SYSTEM_USERCONFDIR: "1",
    }),
    ["/h/.config/upstart", "/h/.init", "/etc/xdg/upstart"],
  );
});

Deno.test("configSources() in user mode with --confdir replaces the defaults", () => {
  const s = configSources({ user: true, confdirs: ["/c"], appendConfdirs: ["/z"], env: {} });
  assert.deepEqual(paths(s), ["/c", "/z"]);
});

Deno.test("confFileKind() takes the extension from the last dot", () => {
  assert.equal(confFileKind("ssh.conf"), "conf");
  assert.equal(confFileKind("ssh.override"), "override");
  assert.equal(confFileKind("a.b.conf"), "conf");
  assert.equal(confFileKind(".foo.conf"), "conf");
  assert.equal(confFileKind(".conf"), null);
  assert.equal(confFileKind("foo.conf~"), null);
  assert.equal(confFileKind("foo.conf.dpkg-old"), null);
  assert.equal(confFileKind("README"), null);
});

Deno.test("isWalkedDirectory() skips hidden, backup, swap, RCS and packaging directories", () => {
  for (const d of ["net", "a.b", "x-y"]) assert.equal(isWalkedDirectory(d), true, d);
  for (
    const d of [".git", "old~", "x.bak", "x.BAK", "#x#", "x.swp", "x,v", "RCS", "CVS", "CVS.adm"]
  ) {
    assert.equal(isWalkedDirectory(d), false, d);
  }
  assert.equal(isWalkedDirectory("x.dpkg-old"), false);
  assert.equal(isWalkedDirectory("x.rpmnew"), false);
});

Deno.test("jobNameFromPath() derives names as docs/configuration.md#job-names", () => {
  assert.equal(jobNameFromPath("/etc/init", "/etc/init/ssh.conf"), "ssh");
  assert.equal(jobNameFromPath("/etc/init/", "/etc/init/net/apache.conf"), "net/apache");
  assert.equal(jobNameFromPath("/etc/init", "/etc/init/a.b.conf"), "a.b");
  assert.equal(jobNameFromPath("/etc/init", "/etc/init/a.b.override"), "a.b");
  assert.equal(jobNameFromPath("/etc/init", "/etc/other/x.conf"), null);
  assert.equal(jobNameFromPath("/etc/init", "/etc/init/README"), null);
});
