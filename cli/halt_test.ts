import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { type HaltPorts, main } from "./halt.ts";
import { RecordingOutput } from "./io.ts";
import type { RunlevelRequest } from "./shutdown_request.ts";
import { RebootError } from "../sys/machine.ts";

function fakePorts(runlevel = "2", refuse = false) {
  const calls: string[] = [];
  const requests: { request: RunlevelRequest; socket: string | undefined }[] = [];
  const output = new RecordingOutput();
  const ports: HaltPorts = {
    output,
    currentRunlevel: () => Promise.resolve(runlevel),
    writeWtmp: () => Promise.resolve(calls.push("wtmp")),
    sync: () => void calls.push("sync"),
    reboot: (command) => {
      calls.push(`reboot:${command}`);
      if (refuse) throw new RebootError(command, 1);
    },
    requestRunlevel: (request, socket) => {
      requests.push({ request, socket });
      return Promise.resolve();
    },
  };
  return { ports, calls, requests, output };
}

Deno.test("halt -f syncs, writes wtmp and calls reboot(2) with the program's command", async () => {
  for (
    const [prog, args, want] of [
      ["halt", ["-f"], ["sync", "wtmp", "reboot:halt"]],
      ["poweroff", ["-f"], ["sync", "wtmp", "reboot:poweroff"]],
      ["reboot", ["-f"], ["sync", "wtmp", "reboot:restart"]],
      ["halt", ["-d", "-f", "-i", "-p", "-h"], ["sync", "reboot:poweroff"]],
      ["reboot", ["-fn"], ["wtmp", "reboot:restart"]],
    ] as const
  ) {
    const fake = fakePorts();
    assertEquals(await main([`--daybreak-prog=${prog}`, ...args], fake.ports), 0);
    assertEquals(fake.calls, want, `${prog} ${args.join(" ")}`);
    assertEquals(fake.requests, []);
  }
});

Deno.test("halt without -f asks init for runlevel 0 or 6 with INIT_HALT's mode", async () => {
  for (
    const [prog, args, want] of [
      ["halt", [], { runlevel: "0", previous: "2", haltMode: "halt" }],
      ["halt", ["-p"], { runlevel: "0", previous: "2", haltMode: "poweroff" }],
      ["poweroff", [], { runlevel: "0", previous: "2", haltMode: "poweroff" }],
      ["reboot", [], { runlevel: "6", previous: "2", haltMode: null }],
    ] as const
  ) {
    const fake = fakePorts();
    assertEquals(await main([`--daybreak-prog=${prog}`, ...args], fake.ports), 0);
    assertEquals(fake.calls, []);
    assertEquals(fake.requests, [{ request: want, socket: "/run/daybreak/initctl.sock" }]);
  }
  const fake = fakePorts();
  await main(["--daybreak-prog=reboot", "--socket", "/tmp/x.sock"], fake.ports);
  assertEquals(fake.requests[0]?.socket, "/tmp/x.sock");
});

Deno.test("halt in runlevel 0 or 6 acts at once, as the rc scripts' last step", async () => {
  const fake = fakePorts("0");
  assertEquals(await main(["--daybreak-prog=halt"], fake.ports), 0);
  assertEquals(fake.calls, ["sync", "wtmp", "reboot:halt"]);
  assertEquals(fake.requests, []);
});

Deno.test("halt -w only writes wtmp; a refused reboot(2) exits 1 with the reason", async () => {
  const only = fakePorts();
  assertEquals(await main(["--daybreak-prog=reboot", "-w"], only.ports), 0);
  assertEquals(only.calls, ["wtmp"]);
  const refused = fakePorts("2", true);
  assertEquals(await main(["--daybreak-prog=poweroff", "-f"], refused.ports), 1);
  assertEquals(refused.output.stderr, "poweroff: Operation not permitted\n");
  const bad = fakePorts();
  assertEquals(await main(["--daybreak-prog=halt", "-z"], bad.ports), 1);
  assertEquals(bad.output.stderr.startsWith("halt: invalid option -- 'z'\n"), true);
});
