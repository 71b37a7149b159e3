import assert from "node:assert/strict";
import { parseInitOptions } from "../options.ts";
import { PID1_SIGNALS, SYSTEM_SIGNALS, systemMode } from "./system.ts";
import { userMode } from "./user.ts";

const host = (pid: number, euid: number) => ({ pid, euid, umask: () => 0o027 });
const ENV = {
  PATH: "/usr/bin",
  TERM: "xterm",
  HOME: "/home/u",
  XDG_RUNTIME_DIR: "/run/user/1000",
  XDG_CONFIG_HOME: "/home/u/.config",
  FOO: "bar",
  DENO_DIR: "/cache/deno",
};

Deno.test("userMode: session paths, the user's own job directory first, init's umask", () => {
  const mode = userMode(parseInitOptions(["--user"]), ENV, host(77, 1000));
  assert.equal(mode.paths.socket, "/run/user/1000/upstart/sessions/77.sock");
  assert.equal(mode.paths.sessionFile, "/run/user/1000/upstart/sessions/77.session");
  assert.deepEqual(mode.directories, [
    { path: "/home/u/.config/upstart", mode: 0o700 },
    { path: "/home/u/.cache/upstart", mode: 0o700 },
    { path: "/run/user/1000/upstart/sessions", mode: 0o700 },
  ]);
  assert.equal(mode.spawn.umask, 0o027);
  assert.equal(mode.spawn.chdir, null);
  assert.deepEqual(mode.socket, { path: mode.paths.socket, mode: 0o600, ownerUid: 1000 });
  assert.equal(mode.sessionAddress, "unix:path=/run/user/1000/upstart/sessions/77.sock");
  assert.ok(mode.globalEnv.includes("FOO=bar"), "jobs inherit init's environment");
  assert.ok(!mode.initEnv.some((e) => e.startsWith("DENO_DIR=")));
  assert.deepEqual(mode.startupEvents, [{ name: "startup", env: [] }]);
  assert.deepEqual(Object.keys(mode.signals).sort(), ["SIGHUP", "SIGINT", "SIGTERM"]);
});

Deno.test("userMode: --no-inherit-env leaves PATH and TERM; --confdir makes no job directory", () => {
  const options = parseInitOptions(["--user", "--no-inherit-env", "--confdir", "/j"]);
  const mode = userMode(options, ENV, host(77, 1000));
  assert.deepEqual(mode.globalEnv, ["PATH=/usr/bin", "TERM=xterm"]);
  assert.deepEqual(mode.directories.map((d) => d.path), [
    "/home/u/.cache/upstart",
    "/run/user/1000/upstart/sessions",
  ]);
});

Deno.test("systemMode: a clean environment, umask 022 and / for jobs, root owns the socket", () => {
  const mode = systemMode(parseInitOptions([]), ENV, host(300, 0));
  assert.deepEqual(mode.globalEnv, ["PATH=/usr/bin", "TERM=xterm"]);
  assert.deepEqual(mode.spawn, {
    defaultConsole: "log",
    logDir: "/var/log/upstart",
    umask: 0o022,
    chdir: "/",
  });
  assert.deepEqual(mode.socket, { path: mode.paths.socket, mode: 0o666, ownerUid: 0 });
  assert.deepEqual(mode.confSources.map((s) => s.path), ["/etc/init.conf", "/etc/init"]);
  assert.equal(mode.sessionAddress, null);
  assert.equal(mode.paths.sessionFile, null);
  assert.equal(mode.pid1, false);
  assert.equal(mode.signals, SYSTEM_SIGNALS);
  assert.deepEqual(
    mode.directories.find((d) => d.path === "/run/daybreak"),
    { path: "/run/daybreak", mode: 0o755 },
    "the socket's directory is traversable by all",
  );
  assert.notEqual(mode.machineShutdown, true, "only PID 1 shuts a machine down");
});

Deno.test("systemMode as PID 1 routes SIGINT, SIGPWR and SIGWINCH to events; no signal ends it", () => {
  const mode = systemMode(parseInitOptions([]), ENV, host(1, 0));
  assert.equal(mode.pid1, true);
  assert.equal(mode.signals, PID1_SIGNALS);
  assert.deepEqual(mode.signals.SIGINT, { kind: "emit", event: "control-alt-delete" });
  assert.deepEqual(mode.signals.SIGPWR, { kind: "emit", event: "power-status-changed" });
  assert.deepEqual(mode.signals.SIGWINCH, { kind: "emit", event: "keyboard-request" });
  // SIGTERM asks PID 1 for a re-exec (see docs/events.md#init-events); an exit would panic the
  // kernel.
  assert.deepEqual(mode.signals.SIGTERM, { kind: "reexec" });
  assert.deepEqual(mode.signals.SIGUSR1, { kind: "ignore" });
  assert.deepEqual(mode.signals.SIGHUP, { kind: "reload" });
  assert.ok(Object.values(mode.signals).every((a) => a.kind !== "shutdown"));
  assert.equal(mode.machineShutdown, true);
});
