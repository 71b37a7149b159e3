import assert from "node:assert/strict";
import { parseSupervisorctlStatus, supervisordConfig } from "./supervisord.ts";

Deno.test("parseSupervisorctlStatus() keeps RUNNING programs with their pids", () => {
  const text = [
    "s0                               RUNNING   pid 32528, uptime 0:00:00",
    "s1                               STOPPED   Nov 22 02:35 AM",
    "s2                               STARTING  ",
    "s3                               RUNNING   pid 32530, uptime 0:00:01",
    "",
  ].join("\n");
  assert.deepEqual(parseSupervisorctlStatus(text), new Map([["s0", 32528], ["s3", 32530]]));
});

Deno.test("parseSupervisorctlStatus() reads nothing from a connection error", () => {
  const text = "unix:///tmp/x/supervisor.sock no such file\n";
  assert.equal(parseSupervisorctlStatus(text).size, 0);
});

Deno.test("supervisordConfig() writes a private socket and one program per service", () => {
  const conf = supervisordConfig("/tmp/d", 3);
  assert.match(conf, /^\[unix_http_server\]\nfile=\/tmp\/d\/supervisor\.sock$/m);
  assert.match(conf, /^nodaemon=true$/m);
  assert.match(conf, /^serverurl=unix:\/\/\/tmp\/d\/supervisor\.sock$/m);
  assert.equal(conf.match(/^\[program:s\d+\]$/gm)?.length, 3);
  assert.equal(conf.match(/^command=sleep 100000$/gm)?.length, 3);
  assert.match(conf, /^\[program:s2\]\ncommand=sleep 100000\nstartsecs=0$/m);
});
