import assert from "node:assert/strict";
import { bootVm, verdict } from "./boot.ts";
import { buildInitramfs } from "./initramfs.ts";
import { prepareVmHost } from "./scenario.ts";

const host = await prepareVmHost();
const skip = host.ready ? "" : ` (skipped: ${host.reason})`;

Deno.test("verdict() collects results in order and the final VM-DONE status", () => {
  const serial = [
    "SeaBIOS (version 1.16.2)",
    "VM-BOOT uptime=2.05",
    "VM-RESULT: PASS first",
    "VM-RESULT: FAIL second: expected 'a', got 'b'",
    "VM-RESULT: PASS third",
    "VM-DONE exit=3 uptime=2.50",
    "[    2.51] reboot: Power down",
  ].join("\n");
  assert.deepEqual(verdict(serial), {
    passed: ["first", "third"],
    failed: ["second: expected 'a', got 'b'"],
    done: true,
    exitStatus: 3,
  });
});

Deno.test("verdict() finds a marker a kernel message was written in front of", () => {
  const serial = '[    3.1] audit: type=1400 apparmor="DENIED"VM-RESULT: PASS read\n';
  assert.deepEqual(verdict(serial), { passed: ["read"], failed: [], done: false });
});

Deno.test("verdict() reports a FAIL without a reason and no VM-DONE", () => {
  assert.deepEqual(verdict("VM-RESULT: FAIL lonely\n"), {
    passed: [],
    failed: ["lonely: (no reason given)"],
    done: false,
  });
});

Deno.test({
  name: `bootVm() kills a guest that outlives its timeout${skip}`,
  ignore: !host.ready,
  async fn() {
    if (!host.ready) return;
    const initrd = await buildInitramfs({
      files: {
        "/scenario": { text: "#!/bin/sh\necho VM-RESULT: PASS started\nsleep 600\n", mode: 0o755 },
      },
    });
    const result = await bootVm({ kernel: host.kernel, initrd, timeoutMs: 8_000 });
    assert.equal(result.timedOut, true);
    assert.equal(result.exitCode, null);
    assert.ok(result.wallMs >= 8_000 && result.wallMs < 12_000, `wall ${result.wallMs} ms`);
    const found = verdict(result.serial);
    assert.deepEqual(found.passed, ["started"], result.serial);
    assert.equal(found.done, false);
  },
});
