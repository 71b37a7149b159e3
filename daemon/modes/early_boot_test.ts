import assert from "node:assert/strict";
import { ConsoleThenKernelLog, earlyBoot, wantsConsole } from "./early_boot.ts";
import { FakeMachine } from "../../tests/fakes/fake_machine.ts";

Deno.test("earlyBoot: mounts what is missing, takes the console, umask, /, Ctrl-Alt-Del as SIGINT", () => {
  const machine = new FakeMachine();
  machine.mountTable = [
    { mountPoint: "/", fsType: "ext4" },
    { mountPoint: "/proc", fsType: "proc" },
    { mountPoint: "/dev", fsType: "devtmpfs" },
  ];
  machine.stdioTargets = ["/dev/console", "/dev/console", "/dev/console"];
  const boot = earlyBoot(machine, { HOME: "/" });
  assert.deepEqual(machine.calls, [
    "setsid",
    "mkdir /sys 755",
    "mount sysfs /sys sysfs 14 -",
    "mkdir /dev/pts 755",
    "mount devpts /dev/pts devpts 10 gid=5,mode=620,ptmxmode=000",
    "mkdir /dev/shm 755",
    "mount tmpfs /dev/shm tmpfs 6 mode=1777",
    "mkdir /run 755",
    "mount tmpfs /run tmpfs 6 mode=0755",
    "attachConsole /dev/console",
    "umask 022",
    "chdir /",
    "reboot cad-off",
  ]);
  assert.equal(boot.consoleAttached, true);
  assert.deepEqual(boot.env, {
    HOME: "/",
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/bin:/usr/sbin:/sbin:/bin",
    TERM: "linux",
  });
  assert.deepEqual(boot.messages, []);
});

Deno.test("earlyBoot: inherited pipes are kept; a failed step is reported and the next runs", () => {
  const machine = new FakeMachine();
  machine.mountTable = ["/", "/proc", "/sys", "/dev", "/dev/pts", "/dev/shm"].map((p) => ({
    mountPoint: p,
    fsType: "x",
  }));
  machine.stdioTargets = [null, "pipe:[123]", "pipe:[123]"];
  machine.failing.add("mount");
  const boot = earlyBoot(machine, { PATH: "/bin", TERM: "vt100" });
  assert.deepEqual(machine.calls, [
    "setsid",
    "mkdir /run 755",
    "mount tmpfs /run tmpfs 6 mode=0755",
    "umask 022",
    "chdir /",
    "reboot cad-off",
  ]);
  assert.equal(boot.consoleAttached, false);
  assert.deepEqual(boot.env, { PATH: "/bin", TERM: "vt100" }, "an inherited PATH and TERM stay");
  assert.deepEqual(boot.messages, ["Unable to mount /run: mount() failed: EBUSY"]);
});

Deno.test("wantsConsole: only when every stdio fd is closed or a device", () => {
  assert.equal(wantsConsole([null, null, null]), true);
  assert.equal(wantsConsole(["/dev/null", "/dev/console", "/dev/tty1"]), true);
  assert.equal(wantsConsole(["/dev/null", "socket:[9]", "/dev/console"]), false);
  assert.equal(wantsConsole(["/dev/null", "/var/log/init.log", "/dev/console"]), false);
});

Deno.test("ConsoleThenKernelLog: the console until the jobs own it, then the kernel log", () => {
  const machine = new FakeMachine();
  const console: string[] = [];
  const writer = new ConsoleThenKernelLog({
    stdout: (l) => console.push(`out ${l}`),
    stderr: (l) => console.push(`err ${l}`),
  });
  writer.stderr("init: one\n");
  writer.toKernelLog(machine);
  writer.stderr("init: two\n");
  assert.deepEqual(console, ["err init: one\n"]);
  assert.deepEqual(machine.kernelLog, ["init: two\n"]);

  const noKmsg = new FakeMachine();
  noKmsg.kernelLog = null;
  const stays: string[] = [];
  const w2 = new ConsoleThenKernelLog({ stdout: () => {}, stderr: (l) => stays.push(l) });
  w2.toKernelLog(noKmsg);
  w2.stderr("init: three\n");
  assert.deepEqual(stays, ["init: three\n"], "no /dev/kmsg: the console keeps the messages");
});
