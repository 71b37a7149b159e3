import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import {
  ArgsError,
  type ArgsErrorCode,
  delayMs,
  parseHaltArgs,
  parseShutdownArgs,
  parseShutdownTime,
} from "./shutdown_args.ts";

function throwsCode(fn: () => unknown, code: ArgsErrorCode): void {
  assertThrows(fn, (e: unknown) => e instanceof ArgsError && e.code === code);
}

Deno.test("parseShutdownTime() reads now, +M, M and HH:MM", () => {
  assertEquals(parseShutdownTime("now"), { kind: "now" });
  assertEquals(parseShutdownTime("+0"), { kind: "now" });
  assertEquals(parseShutdownTime("+5"), { kind: "in", minutes: 5 });
  assertEquals(parseShutdownTime("10"), { kind: "in", minutes: 10 });
  assertEquals(parseShutdownTime("23:59"), { kind: "at", hour: 23, minute: 59 });
  assertEquals(parseShutdownTime("7:05"), { kind: "at", hour: 7, minute: 5 });
  for (const bad of ["24:00", "12:60", "soon", "+", "-5", "1:2", "12:345", ""]) {
    throwsCode(() => parseShutdownTime(bad), "bad-time");
  }
});

Deno.test("delayMs() waits for the next occurrence of HH:MM", () => {
  const now = new Date(2026, 0, 10, 12, 30, 15);
  assertEquals(delayMs({ kind: "now" }, now), 0);
  assertEquals(delayMs({ kind: "in", minutes: 3 }, now), 180_000);
  assertEquals(delayMs({ kind: "at", hour: 13, minute: 0 }, now), 29 * 60_000 + 45_000);
  // 12:30 has passed by 15 s: tomorrow's.
  assertEquals(
    delayMs({ kind: "at", hour: 12, minute: 30 }, now),
    new Date(2026, 0, 11, 12, 30).getTime() - now.getTime(),
  );
});

Deno.test("parseShutdownArgs() maps each action option", () => {
  const base = { time: { kind: "now" }, message: "", socket: null };
  assertEquals(parseShutdownArgs(["-r", "now"]), {
    kind: "schedule",
    action: "reboot",
    haltMode: null,
    ...base,
  });
  assertEquals(parseShutdownArgs(["-h", "now"]), {
    kind: "schedule",
    action: "halt",
    haltMode: null,
    ...base,
  });
  assertEquals(parseShutdownArgs(["-hP", "now"]), {
    kind: "schedule",
    action: "halt",
    haltMode: "poweroff",
    ...base,
  });
  assertEquals(parseShutdownArgs(["-H", "now"]), {
    kind: "schedule",
    action: "halt",
    haltMode: "halt",
    ...base,
  });
  assertEquals(parseShutdownArgs(["-k", "now"]), {
    kind: "schedule",
    action: "warn",
    haltMode: null,
    ...base,
  });
  assertEquals(parseShutdownArgs(["now"]), {
    kind: "schedule",
    action: "single",
    haltMode: null,
    ...base,
  });
});

Deno.test("parseShutdownArgs() joins the message and accepts the compatibility options", () => {
  assertEquals(
    parseShutdownArgs(["-a", "-f", "-F", "-n", "-q", "-t", "5", "-r", "+10", "back", "soon"]),
    {
      kind: "schedule",
      action: "reboot",
      haltMode: null,
      time: { kind: "in", minutes: 10 },
      message: "back soon",
      socket: null,
    },
  );
  assertEquals(parseShutdownArgs(["-t5", "-h", "--socket", "/tmp/s", "12:00"]), {
    kind: "schedule",
    action: "halt",
    haltMode: null,
    time: { kind: "at", hour: 12, minute: 0 },
    message: "",
    socket: "/tmp/s",
  });
  assertEquals(parseShutdownArgs(["-h", "--", "now", "-r"]).kind, "schedule");
});

Deno.test("parseShutdownArgs() cancels without a time and answers --help", () => {
  assertEquals(parseShutdownArgs(["-c"]), { kind: "cancel", message: "" });
  assertEquals(parseShutdownArgs(["-c", "never", "mind"]), {
    kind: "cancel",
    message: "never mind",
  });
  assertEquals(parseShutdownArgs(["--help"]), { kind: "help" });
});

Deno.test("parseShutdownArgs() rejects bad command lines by code", () => {
  throwsCode(() => parseShutdownArgs([]), "missing-time");
  throwsCode(() => parseShutdownArgs(["-r"]), "missing-time");
  throwsCode(() => parseShutdownArgs(["-r", "later"]), "bad-time");
  throwsCode(() => parseShutdownArgs(["-x", "now"]), "unknown-option");
  throwsCode(() => parseShutdownArgs(["--bogus", "now"]), "unknown-option");
  throwsCode(() => parseShutdownArgs(["-r", "-h", "now"]), "conflict");
  throwsCode(() => parseShutdownArgs(["-H", "-P", "now"]), "conflict");
  throwsCode(() => parseShutdownArgs(["-c", "-r"]), "conflict");
  throwsCode(() => parseShutdownArgs(["-t"]), "missing-argument");
  throwsCode(() => parseShutdownArgs(["-t", "x", "now"]), "bad-time");
  throwsCode(() => parseShutdownArgs(["--socket"]), "missing-argument");
});

Deno.test("parseHaltArgs() takes its action from the program name", () => {
  const plain = { force: false, noSync: false, wtmpOnly: false, noWtmp: false, socket: null };
  assertEquals(parseHaltArgs("halt", []), { kind: "halt", action: "halt", ...plain });
  assertEquals(parseHaltArgs("poweroff", []), { kind: "halt", action: "poweroff", ...plain });
  assertEquals(parseHaltArgs("reboot", []), { kind: "halt", action: "reboot", ...plain });
  assertEquals(parseHaltArgs("halt", ["-p"]).kind === "halt", true);
  assertEquals(parseHaltArgs("halt", ["-p"]), { kind: "halt", action: "poweroff", ...plain });
  // -p only turns a halt into a power-off.
  assertEquals(parseHaltArgs("reboot", ["-p"]), { kind: "halt", action: "reboot", ...plain });
});

Deno.test("parseHaltArgs() reads Debian's halt script's clustered options", () => {
  assertEquals(parseHaltArgs("halt", ["-d", "-f", "-i", "-p", "-h"]), {
    kind: "halt",
    action: "poweroff",
    force: true,
    noSync: false,
    wtmpOnly: false,
    noWtmp: true,
    socket: null,
  });
  assertEquals(
    parseHaltArgs("halt", ["-dfiph"]),
    parseHaltArgs("halt", ["-d", "-f", "-i", "-p", "-h"]),
  );
  assertEquals(parseHaltArgs("reboot", ["-nfw"]), {
    kind: "halt",
    action: "reboot",
    force: true,
    noSync: true,
    wtmpOnly: true,
    noWtmp: false,
    socket: null,
  });
  assertEquals(parseHaltArgs("poweroff", ["--help"]), { kind: "help" });
});

Deno.test("parseHaltArgs() rejects unknown options and operands", () => {
  throwsCode(() => parseHaltArgs("halt", ["-x"]), "unknown-option");
  throwsCode(() => parseHaltArgs("halt", ["now"]), "unknown-option");
  throwsCode(() => parseHaltArgs("reboot", ["--bogus"]), "unknown-option");
});
