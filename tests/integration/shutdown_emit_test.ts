/**
 * shutdown, halt, poweroff and reboot without -f against the real daemon: each emits `runlevel`
 * with RUNLEVEL, PREVLEVEL and INIT_HALT, which a job started `on runlevel [016]` sees.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startTestDaemon, waitFor } from "../helpers/test_daemon.ts";

const RECORDER = {
  "rec.conf": "start on runlevel [016]\ntask\n" +
    'exec sh -c \'echo "$RUNLEVEL $PREVLEVEL ${INIT_HALT:--}" >> "$HOME/levels"\'\n',
};

for (
  const [prog, args, line] of [
    ["shutdown", ["-r", "now"], "6 N -"],
    ["shutdown", ["-P", "now", "going"], "0 N POWEROFF"],
    ["shutdown", ["-H", "+0"], "0 N HALT"],
    ["shutdown", ["now"], "1 N -"],
    ["halt", [], "0 N HALT"],
    ["poweroff", [], "0 N POWEROFF"],
    ["reboot", [], "6 N -"],
  ] as const
) {
  Deno.test(`${[prog, ...args].join(" ")} emits runlevel ${line}`, async () => {
    await using d = await startTestDaemon(RECORDER);
    const r = await d.exec(prog, [...args]);
    assert.deepEqual(r, { code: 0, stdout: "", stderr: "" });
    const levels = await waitFor(
      "the runlevel job's record",
      () => Deno.readTextFile(join(d.home, "levels")).catch(() => null),
    );
    // PREVLEVEL is the host's runlevel from /run/utmp (N when it has none).
    const [level, halt] = line.split(" N ");
    assert.match(levels, new RegExp(`^${level} [NS0-9] ${halt}\n$`));
  });
}

Deno.test("shutdown -k now only warns", async () => {
  await using d = await startTestDaemon(RECORDER);
  assert.deepEqual(await d.exec("shutdown", ["-k", "now"]), { code: 0, stdout: "", stderr: "" });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await Deno.stat(join(d.home, "levels")).then(() => true, () => false), false);
});
