import assert from "node:assert/strict";
import { daemonPaths, InitUsageError, parseInitOptions } from "./options.ts";

Deno.test("parseInitOptions() gives Upstart's defaults", () => {
  const o = parseInitOptions([]);
  assert.equal(o.user, false);
  assert.equal(o.startupEvent, "startup");
  assert.equal(o.defaultConsole, "log");
  assert.equal(o.logPriority, "message");
  assert.equal(o.inheritEnv, true);
  assert.deepEqual(o.fixes, {
    restartKeepsEnv: false,
    restartFullCycle: false,
    stopInterruptsHooks: false,
    hookTimeout: 0,
    respawnBackoff: null,
  });
});

Deno.test("parseInitOptions() reads every option and ignores unknown words", () => {
  const o = parseInitOptions([
    "--user",
    "--confdir",
    "/a",
    "--confdir=/b",
    "--prepend-confdir",
    "/p",
    "--append-confdir",
    "/z",
    "--logdir",
    "/l",
    "--socket",
    "/s.sock",
    "--socket-mode",
    "0660",
    "--startup-event",
    "boot",
    "--no-inherit-env",
    "--default-console",
    "none",
    "--verbose",
    "splash",
    "--unknown-kernel-option",
  ]);
  assert.equal(o.user, true);
  assert.deepEqual(o.confdirs, ["/a", "/b"]);
  assert.deepEqual(o.prependConfdirs, ["/p"]);
  assert.deepEqual(o.appendConfdirs, ["/z"]);
  assert.equal(o.logdir, "/l");
  assert.equal(o.socket, "/s.sock");
  assert.equal(o.socketMode, 0o660);
  assert.equal(o.startupEvent, "boot");
  assert.equal(o.inheritEnv, false);
  assert.equal(o.defaultConsole, "none");
  assert.equal(o.logPriority, "info");
  assert.equal(parseInitOptions(["--no-startup-event"]).startupEvent, null);
  assert.equal(parseInitOptions(["--no-log"]).defaultConsole, "none");
  assert.equal(parseInitOptions(["--debug"]).logPriority, "debug");
  assert.equal(parseInitOptions(["-q"]).logPriority, "error");
});

Deno.test("parseInitOptions() turns on the docs/behaviour.md#upstart-fixes fixes by flag", () => {
  const o = parseInitOptions([
    "--restart-keeps-env",
    "--restart-full-cycle",
    "--stop-interrupts-hooks",
    "--hook-timeout",
    "30",
    "--respawn-backoff",
    "100:5000",
  ]);
  assert.deepEqual(o.fixes, {
    restartKeepsEnv: true,
    restartFullCycle: true,
    stopInterruptsHooks: true,
    hookTimeout: 30,
    respawnBackoff: { baseMs: 100, maxMs: 5000 },
  });
  assert.deepEqual(parseInitOptions(["--respawn-backoff=250"]).fixes.respawnBackoff, {
    baseMs: 250,
    maxMs: 16000,
  });
});

Deno.test("parseInitOptions() rejects bad values with a clear error", () => {
  for (
    const argv of [
      ["--default-console", "tty"],
      ["--socket-mode", "999"],
      ["--hook-timeout", "soon"],
      ["--respawn-backoff", "0"],
      ["--respawn-backoff", "1:x"],
    ]
  ) {
    assert.throws(() => parseInitOptions(argv), InitUsageError, argv.join(" "));
  }
});

Deno.test("daemonPaths() places user-mode files per docs/behaviour.md#user-session and docs/behaviour.md#job-logs", () => {
  const user = parseInitOptions(["--user"]);
  const env = { HOME: "/home/u", XDG_RUNTIME_DIR: "/run/user/1000", XDG_CACHE_HOME: "/c" };
  assert.deepEqual(daemonPaths(user, { env, pid: 42, uid: 1000 }), {
    socket: "/run/user/1000/upstart/sessions/42.sock",
    sessionFile: "/run/user/1000/upstart/sessions/42.session",
    logDir: "/c/upstart",
  });
  assert.deepEqual(daemonPaths(user, { env: { HOME: "/home/u" }, pid: 42, uid: 1000 }), {
    socket: "/tmp/daybreak-1000/session-42.sock",
    sessionFile: null,
    logDir: "/home/u/.cache/upstart",
  });
});

Deno.test("daemonPaths() uses the system socket and /var/log/upstart in system mode", () => {
  const system = parseInitOptions([]);
  assert.deepEqual(daemonPaths(system, { env: {}, pid: 1, uid: 0 }), {
    socket: "/run/daybreak/initctl.sock",
    sessionFile: null,
    logDir: "/var/log/upstart",
  });
  assert.equal(
    daemonPaths(system, { env: { UPSTART_LOGDIR: "/x" }, pid: 1, uid: 0 }).logDir,
    "/x",
  );
});

Deno.test("parseInitOptions: --system asks for system mode without PID 1", () => {
  assert.equal(parseInitOptions(["--system"]).system, true);
  assert.equal(parseInitOptions([]).system, false);
});

Deno.test("parseInitOptions() names the options it does not know, as given", () => {
  assert.deepEqual(
    parseInitOptions(["--user", "--bogus", "-z", "single", "--metrics=[::1]:9"]).unknown,
    [
      "--bogus",
      "-z",
    ],
  );
  assert.deepEqual(parseInitOptions(["--user", "2", "splash"]).unknown, []);
});
