import assert from "node:assert/strict";
import { parsePm2Jlist, parsePm2Pid, pm2Ecosystem } from "./pm2.ts";

Deno.test("parsePm2Jlist() keeps online apps and skips a daemon banner", () => {
  const apps = [
    { pid: 31839, name: "s0", pm2_env: { status: "online", args: ["100000"] } },
    { pid: 0, name: "s1", pm2_env: { status: "stopped" } },
    { pid: 31841, name: "s2", pm2_env: { status: "launching" } },
    { pid: 31843, name: "s3", pm2_env: { status: "online" } },
  ];
  const text =
    "[PM2] Spawning PM2 daemon with pm2_home=/tmp/h\n[PM2] PM2 Successfully daemonized\n" +
    `${JSON.stringify(apps)}\n`;
  assert.deepEqual(parsePm2Jlist(text), new Map([["s0", 31839], ["s3", 31843]]));
});

Deno.test("parsePm2Jlist() reads nothing when there is no JSON", () => {
  assert.equal(parsePm2Jlist("[PM2][WARN] something\n").size, 0);
});

Deno.test("parsePm2Pid() returns the pid, or null for 0 or nothing", () => {
  assert.equal(parsePm2Pid("21552\n"), 21552);
  assert.equal(parsePm2Pid("0\n"), null);
  assert.equal(parsePm2Pid("\n"), null);
});

Deno.test("pm2Ecosystem() runs the sleep binary without an interpreter", () => {
  const { apps } = JSON.parse(pm2Ecosystem(2));
  assert.deepEqual(apps[1], {
    name: "s1",
    script: "sleep",
    args: "100000",
    interpreter: "none",
    autorestart: true,
  });
  assert.equal(apps.length, 2);
});
