/**
 * `apparmor load` and `apparmor switch` through the real daemon on this host, whose kernel has
 * no AppArmor (see docs/platform.md#security-tools): a job that asks for it must fail with a
 * message saying so and never run unconfined. Enforcement itself is checked in a QEMU guest
 * (`tests/vm/daybreak_apparmor_test.ts`).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { appArmorEnabled } from "../../security/apparmor.ts";
import { startTestDaemon, waitFor } from "../helpers/test_daemon.ts";

const skip = appArmorEnabled() ? " (skipped: this kernel has AppArmor)" : "";

// Each job leaves a mark when any of its processes runs, so "never ran" is checked, not assumed.
const MARK = `exec sh -c 'echo "$UPSTART_JOB" >> "$HOME/ran"; exec sleep 60'`;
const PRE_MARK = `pre-start exec sh -c 'echo "$UPSTART_JOB pre-start" >> "$HOME/ran"'`;
// Records the stopped event of every failed job: RESULT, PROCESS and the job.
const WATCH = `start on stopped RESULT=failed
task
exec sh -c 'echo "$JOB $RESULT $PROCESS" >> "$HOME/failed"'
`;

async function lines(path: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(path)).split("\n").filter((l) => l !== "");
  } catch {
    return [];
  }
}

Deno.test({
  name: `a job with apparmor switch fails to start without AppArmor, never unconfined${skip}`,
  ignore: skip !== "",
  async fn() {
    await using d = await startTestDaemon({
      "confined.conf": `apparmor switch daybreak-web\n${PRE_MARK}\n${MARK}\n`,
      "expanded.conf": `env KIND=web\napparmor switch daybreak-\${KIND}-$SITE\n${MARK}\n`,
      "unknown.conf": `apparmor switch daybreak-$NOPE\n${MARK}\n`,
      "watch.conf": WATCH,
    });
    const cases: [string[], string][] = [
      [
        ["confined"],
        "Failed to spawn confined main process: unable to switch to apparmor profile " +
        "daybreak-web: AppArmor is not available in this kernel",
      ],
      [
        ["expanded", "SITE=blog"],
        "Failed to spawn expanded main process: unable to switch to apparmor profile " +
        "daybreak-web-blog: AppArmor is not available in this kernel",
      ],
      [
        ["unknown"],
        "Failed to spawn unknown main process: " +
        "unable to switch to apparmor profile: Unknown parameter: NOPE",
      ],
    ];
    for (const [args, logged] of cases) {
      const job = args[0]!;
      assert.deepEqual(
        await d.initctl("start", ...args),
        { code: 1, stdout: "", stderr: "initctl: Job failed to start\n" },
        job,
      );
      await d.waitForOutput(logged);
      assert.equal(await d.ok("status", job), `${job} stop/waiting\n`);
    }
    // Only the unconfined pre-start ran (Upstart confines the main process alone).
    assert.deepEqual(await lines(join(d.home, "ran")), ["confined pre-start"]);
    const failed = await waitFor("three failed stopped events", async () => {
      const l = await lines(join(d.home, "failed"));
      return l.length === 3 ? l : null;
    });
    assert.deepEqual(failed.sort(), [
      "confined failed main",
      "expanded failed main",
      "unknown failed main",
    ]);
  },
});

Deno.test({
  name: `a job with apparmor load fails in its security process without AppArmor${skip}`,
  ignore: skip !== "",
  async fn() {
    await using d = await startTestDaemon({
      "loaded.conf": `apparmor load /etc/apparmor.d/daybreak-web\n${PRE_MARK}\n${MARK}\n`,
      "watch.conf": WATCH,
    });
    assert.deepEqual(await d.initctl("start", "loaded"), {
      code: 1,
      stdout: "",
      stderr: "initctl: Job failed to start\n",
    });
    await d.waitForOutput(
      "Failed to spawn loaded security process: unable to load apparmor profile " +
        "/etc/apparmor.d/daybreak-web: AppArmor is not available in this kernel",
    );
    assert.equal(await d.ok("status", "loaded"), "loaded stop/waiting\n");
    const failed = await waitFor("the failed stopped event", async () => {
      const l = await lines(join(d.home, "failed"));
      return l.length > 0 ? l : null;
    });
    assert.deepEqual(failed, ["loaded failed security"]);
    // Neither pre-start nor main ran.
    assert.deepEqual(await lines(join(d.home, "ran")), []);
  },
});
