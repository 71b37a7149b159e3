import assert from "node:assert/strict";
import type { LimitValue } from "../parser/types.ts";
import { NO_CREDENTIALS } from "./credentials.ts";
import { NO_SANDBOX } from "./sandbox.ts";
import {
  CAP_SETGID,
  CAP_SETPCAP,
  CAP_SETUID,
  CAP_SYS_NICE,
  CAP_SYS_RESOURCE,
  capabilityMask,
  type DaemonPowers,
  setupFailure,
  type SetupRequest,
} from "./setup_checks.ts";

const ALL = (1n << 41n) - 1n;
const bit = (n: number) => 1n << BigInt(n);

function powers(overrides: Partial<DaemonPowers> = {}): DaemonPowers {
  const limits: Record<string, readonly [LimitValue, LimitValue]> = {
    nofile: [1024, 4096],
    core: [0, "unlimited"],
    nice: [0, 40],
  };
  return {
    capabilities: ALL & ~bit(CAP_SYS_RESOURCE),
    euid: 0,
    egid: 0,
    nice: 0,
    nrOpen: 1048576,
    limit: (r) => limits[r] ?? ["unlimited", "unlimited"],
    ...overrides,
  };
}

function req(overrides: Partial<SetupRequest>): SetupRequest {
  return { limits: {}, nice: null, credentials: NO_CREDENTIALS, ...overrides };
}

Deno.test("setupFailure() lets through what the kernel allows", () => {
  assert.equal(setupFailure(req({}), powers()), null);
  assert.equal(setupFailure(req({ limits: { nofile: [4096, 4096] } }), powers()), null);
  assert.equal(setupFailure(req({ limits: { core: ["unlimited", "unlimited"] } }), powers()), null);
  assert.equal(setupFailure(req({ limits: { nofile: [10, 20] } }), powers()), null);
});

Deno.test("setupFailure() refuses raising a hard limit without CAP_SYS_RESOURCE", () => {
  const raise = req({ limits: { nofile: [1024, 8192] } });
  assert.equal(
    setupFailure(raise, powers()),
    'unable to set "nofile" resource limit: Operation not permitted',
  );
  assert.equal(setupFailure(raise, powers({ capabilities: ALL })), null);
});

Deno.test("setupFailure() refuses soft above hard, and nofile above nr_open even with the cap", () => {
  assert.equal(
    setupFailure(req({ limits: { core: [10, 5] } }), powers({ capabilities: ALL })),
    'unable to set "core" resource limit: Invalid argument',
  );
  assert.equal(
    setupFailure(
      req({ limits: { nofile: ["unlimited", "unlimited"] } }),
      powers({ capabilities: ALL }),
    ),
    'unable to set "nofile" resource limit: Operation not permitted',
  );
});

Deno.test("setupFailure() reports the first failing resource in RLIMIT order, as Upstart", () => {
  const r = req({ limits: { nofile: [1, 1e9], cpu: [5, 1] } });
  assert.equal(setupFailure(r, powers()), 'unable to set "cpu" resource limit: Invalid argument');
});

Deno.test("setupFailure() refuses a lower nice value without CAP_SYS_NICE or RLIMIT_NICE room", () => {
  const weak = powers({ capabilities: 0n, euid: 1000, egid: 1000, nice: 0 });
  assert.equal(setupFailure(req({ nice: 5 }), weak), null);
  assert.equal(setupFailure(req({ nice: -1 }), weak), "unable to set priority: Permission denied");
  assert.equal(setupFailure(req({ nice: -1 }), powers({ capabilities: bit(CAP_SYS_NICE) })), null);
  // The job's own `limit nice` comes first: 20 - (-5) = 25 ≤ 25.
  assert.equal(setupFailure(req({ nice: -5, limits: { nice: [25, 25] } }), weak), null);
  assert.equal(
    setupFailure(req({ nice: -6, limits: { nice: [25, 25] } }), weak),
    "unable to set priority: Permission denied",
  );
});

Deno.test("setupFailure() refuses another uid or gid without CAP_SETUID/CAP_SETGID", () => {
  const user = powers({ capabilities: 0n, euid: 1000, egid: 1000 });
  const self = { uid: 1000, gid: 1000, groups: null };
  assert.equal(setupFailure(req({ credentials: self }), user), null);
  assert.equal(
    setupFailure(req({ credentials: { ...self, gid: 0 } }), user),
    "unable to setgid: Operation not permitted",
  );
  assert.equal(
    setupFailure(req({ credentials: { ...self, uid: 0 } }), user),
    "unable to setuid: Operation not permitted",
  );
  const both = powers({ capabilities: bit(CAP_SETUID) | bit(CAP_SETGID), euid: 1000, egid: 1000 });
  assert.equal(setupFailure(req({ credentials: { uid: 0, gid: 0, groups: null } }), both), null);
});

Deno.test("setupFailure() needs CAP_SETPCAP for a bounding set", () => {
  const sandbox = { ...NO_SANDBOX, capabilities: ["kill"] };
  assert.equal(setupFailure(req({ sandbox }), powers()), null);
  assert.equal(
    setupFailure(req({ sandbox }), powers({ capabilities: ALL & ~bit(CAP_SETPCAP) })),
    "unable to sandbox: cannot change the capability bounding set: Operation not permitted",
  );
});

Deno.test("capabilityMask() reads a mask line of /proc/PID/status", () => {
  const status = "Name:\tx\nCapEff:\t000001fffeffffff\nCapBnd:\t0000000000000400\n";
  assert.equal(capabilityMask(status), 0x1fffeffffffn);
  assert.equal(capabilityMask(status, "CapBnd"), 0x400n);
  assert.equal(capabilityMask("Name:\tx\n"), 0n);
});
