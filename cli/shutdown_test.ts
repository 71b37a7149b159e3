import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { main, NOLOGIN_FILE, PID_FILE, type ShutdownPorts } from "./shutdown.ts";
import { RecordingOutput } from "./io.ts";
import type { RunlevelRequest } from "./shutdown_request.ts";
import { nextMarkMs, wantsNologin, warningText } from "./shutdown_plan.ts";

/** Ports on a fake clock that `sleep` advances; every effect is logged with its minute. */
function fakePorts(start = new Date(2026, 0, 10, 12, 0, 0)) {
  let now = start.getTime();
  const log: string[] = [];
  const requests: RunlevelRequest[] = [];
  const files = new Map<string, string>();
  let term: (() => void) | null = null;
  const minute = () => ((now - start.getTime()) / 60_000).toFixed(1);
  const output = new RecordingOutput();
  const ports: ShutdownPorts = {
    output,
    now: () => new Date(now),
    sleep: (ms) => {
      now += ms;
      return Promise.resolve();
    },
    wall: (text) => Promise.resolve(void log.push(`${minute()} wall ${text.split("\n")[0]}`)),
    currentRunlevel: () => Promise.resolve("2"),
    requestRunlevel: (request) => {
      requests.push(request);
      log.push(`${minute()} runlevel ${request.runlevel}`);
      return Promise.resolve();
    },
    startWaiter: (self, args) => {
      log.push(`start ${self} ${args.join(" ")}`);
      return 4242;
    },
    writeFile: (path, text) => {
      files.set(path, text);
      log.push(`${minute()} write ${path}`);
      return Promise.resolve();
    },
    removeFile: (path) => {
      files.delete(path);
      log.push(`${minute()} remove ${path}`);
      return Promise.resolve();
    },
    terminate: (pid) => void log.push(`kill ${pid}`),
    onTerminate: (onTerm) => void (term = onTerm),
  };
  return { ports, log, requests, files, output, terminate: () => term?.() };
}

Deno.test("shutdown -h now warns and asks init for runlevel 0 with INIT_HALT", async () => {
  const fake = fakePorts();
  assertEquals(await main(["-P", "now", "bye"], fake.ports), 0);
  assertEquals(fake.log, [
    "0.0 wall The system is going down for power off NOW!",
    "0.0 runlevel 0",
  ]);
  assertEquals(fake.requests, [{ runlevel: "0", previous: "2", haltMode: "poweroff" }]);
  const reboot = fakePorts();
  await main(["-r", "now"], reboot.ports);
  assertEquals(reboot.requests, [{ runlevel: "6", previous: "2", haltMode: null }]);
  const warn = fakePorts();
  await main(["-k", "now"], warn.ports);
  assertEquals(warn.requests, []);
});

Deno.test("shutdown +M starts the background copy and records its pid", async () => {
  const fake = fakePorts();
  assertEquals(
    await main(
      ["--daybreak-self=/x/bin/shutdown", "--daybreak-pending=", "-r", "+10", "hi"],
      fake.ports,
    ),
    0,
  );
  assertEquals(fake.log, ["start /x/bin/shutdown -r +10 hi", "0.0 write /run/shutdown.pid"]);
  assertEquals(fake.files.get(PID_FILE), "4242\n");
  assertEquals(fake.output.stdout, "Shutdown scheduled for 12:10, use 'shutdown -c' to cancel.\n");
  const busy = fakePorts();
  assertEquals(
    await main(["--daybreak-self=/x", "--daybreak-pending=77", "-r", "+1"], busy.ports),
    1,
  );
  assertEquals(busy.log, []);
});

Deno.test("the background copy warns at the marks, blocks logins 5 minutes before, then goes down", async () => {
  const fake = fakePorts();
  assertEquals(await main(["--daybreak-waiter", "-h", "+12"], fake.ports), 0);
  assertEquals(fake.log, [
    "0.0 wall The system is going down for power off in 12 minutes!",
    "2.0 wall The system is going down for power off in 10 minutes!",
    "7.0 write /run/nologin",
    "7.0 wall The system is going down for power off in 5 minutes!",
    "8.0 wall The system is going down for power off in 4 minutes!",
    "9.0 wall The system is going down for power off in 3 minutes!",
    "10.0 wall The system is going down for power off in 2 minutes!",
    "11.0 wall The system is going down for power off in 1 minute!",
    "12.0 remove /run/shutdown.pid",
    "12.0 wall The system is going down for power off NOW!",
    "12.0 runlevel 0",
  ]);
});

Deno.test("a warning-only shutdown (-k) never writes /run/nologin", async () => {
  const fake = fakePorts();
  await main(["--daybreak-waiter", "-k", "+6"], fake.ports);
  assertEquals(fake.log.some((l) => l.includes(NOLOGIN_FILE)), false);
  assertEquals(fake.requests, []);
});

Deno.test("shutdown -c ends the pending copy and removes its files; SIGTERM stops the copy", async () => {
  const fake = fakePorts();
  assertEquals(await main(["--daybreak-pending=4242", "-c", "false", "alarm"], fake.ports), 0);
  assertEquals(fake.log, [
    "kill 4242",
    "0.0 remove /run/nologin",
    "0.0 remove /run/shutdown.pid",
    "0.0 wall The system shutdown has been cancelled.",
  ]);
  const none = fakePorts();
  assertEquals(await main(["--daybreak-pending=", "-c"], none.ports), 1);
  assertEquals(none.output.stderr, "shutdown: no shutdown is pending\n");

  const waiter = fakePorts();
  const sleep = waiter.ports.sleep;
  let slept = 0;
  const ports = {
    ...waiter.ports,
    sleep: (ms: number) => (++slept === 3 ? (waiter.terminate(), sleep(ms)) : sleep(ms)),
  };
  assertEquals(await main(["--daybreak-waiter", "-r", "+30"], ports), 0);
  assertEquals(waiter.requests, []);
  assertEquals(waiter.log.filter((l) => !l.includes("wall")), []);
});

Deno.test("shutdown rejects a bad TIME with a hint", async () => {
  const fake = fakePorts();
  assertEquals(await main(["-r", "soon"], fake.ports), 1);
  assertEquals(
    fake.output.stderr,
    "shutdown: illegal time value: soon\nTry `shutdown --help' for more information.\n",
  );
});

Deno.test("nextMarkMs() and wantsNologin() follow the warning schedule", () => {
  assertEquals(nextMarkMs(300 * 60_000), 240 * 60_000);
  assertEquals(nextMarkMs(90 * 60_000), 60 * 60_000);
  assertEquals(nextMarkMs(12 * 60_000), 10 * 60_000);
  assertEquals(nextMarkMs(5 * 60_000), 4 * 60_000);
  assertEquals(nextMarkMs(60_000), 0);
  assertEquals(wantsNologin("reboot", 5 * 60_000), true);
  assertEquals(wantsNologin("reboot", 5 * 60_000 + 1), false);
  assertEquals(wantsNologin("warn", 0), false);
  assertEquals(
    warningText("reboot", 1, "x"),
    "The system is going down for reboot in 1 minute!\nx\n",
  );
});
