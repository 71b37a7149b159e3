// A machine that ran Upstart, with daybreak put in its place from a copied checkout, booted from
// an initramfs with rdinit=/sbin/init (the layout: tests/vm/_upstart_layout.ts). daybreak runs from
// its TypeScript sources; /etc/init holds Upstart's own jobs and Ubuntu's tty1, unmodified, with
// Debian's real /etc/init.d/rc. On the way up rc-sysinit runs rcS (an /etc/rcS.d script leaves a
// marker), then `telinit 2` by its bare name; rc runs /etc/rc2.d (a marker script). At runlevel 2
// a probe job checks `runlevel`, `initctl list`, `status`, then runs `shutdown -h now`: /etc/rc0.d
// has no halt script, so daybreak's final phase powers off.
import assert from "node:assert/strict";
import { AT, prepareUpstartLayout, PROBE_CHECKS, upstartGuestFiles } from "./_upstart_layout.ts";
import { assertVmPassed, runVmScenario } from "./scenario.ts";

const layout = await prepareUpstartLayout();
const skip = layout.ready ? "" : ` (skipped: ${layout.reason})`;

Deno.test(
  `daybreak from its sources boots Upstart's own jobs to runlevel 2 and powers off${skip}`,
  {
    ignore: !layout.ready,
  },
  async () => {
    if (!layout.ready) return;
    try {
      const result = await runVmScenario({
        name: "upstart-jobs-boot",
        script: "exit 0\n", // /init (and so /scenario) does not run: rdinit=/sbin/init
        withDaybreak: true,
        daybreakAt: AT,
        files: upstartGuestFiles(layout.debs),
        append: "rdinit=/sbin/init printk.time=1",
        // Under TCG each deno start from the sources takes seconds (its modules are transpiled once,
        // then cached in the guest's .deno_dir), far more on a loaded machine.
        timeoutMs: 900_000,
      });
      // deno-lint-ignore no-console -- the boot's timings, reported beside the result
      console.log(
        result.serial.split("\n").filter((l) => /VM-(RC|PROBE)|Run \/sbin\/init/.test(l)).join(
          "\n",
        ),
        `\nboot ${result.bootMs} ms, image ${result.buildMs} ms`,
      );
      assertVmPassed(result, PROBE_CHECKS);
      // No script of runlevel 0 halts: daybreak's final phase powered the machine off.
      assert.match(result.serial, /VM-RC0 0 2 /);
      assert.match(result.serial, /reboot: Power down/);
      assert.equal(result.exitCode, 0);
    } finally {
      await Deno.remove(layout.debs, { recursive: true }).catch(() => {});
    }
  },
);
