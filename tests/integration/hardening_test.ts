/**
 * `protect-system`'s capability drop, the private `/dev/shm` and the `seccomp` stanza
 * (docs/job-files.md) from a job file, through `bin/init --user` and `bin/initctl`, run as root.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startTestDaemon } from "../helpers/test_daemon.ts";

Deno.test({
  name: "a root job with protect-system and seccomp default cannot undo its sandbox",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const job = [
      "task",
      "env PATH=/usr/sbin:/usr/bin:/sbin:/bin",
      "protect-system",
      "seccomp default",
      "seccomp allow keyctl",
      "script",
      "  mount -o remount,rw / 2>/dev/null && echo remounted || echo remount-refused",
      "  unshare -m true 2>/dev/null && echo unshared || echo unshare-refused",
      "  echo shm=$(ls -A /dev/shm | wc -l)",
      `  perl -e '$r = syscall(250, 0, -3, 0); print "keyctl=", ($r < 0 ? $! : "ok"), "\\n"'`,
      "end script",
      "",
    ].join("\n");
    await using d = await startTestDaemon({ "hard.conf": job });
    await d.ok("start", "hard");
    assert.equal(
      Deno.readTextFileSync(join(d.logDir, "hard.log")),
      "remount-refused\nunshare-refused\nshm=0\nkeyctl=ok\n",
    );
    const shown = JSON.parse(await d.ok("show-config", "--json", "hard"));
    assert.match(
      JSON.stringify(shown),
      /"seccomp":\{"default":true,"deny":\[\],"allow":\["keyctl"\]\}/,
    );
  },
});

Deno.test("a seccomp stanza naming an unknown call fails the job with the reason", async () => {
  await using d = await startTestDaemon({
    "bad.conf": "task\nseccomp deny frobnicate\nexec true\n",
  });
  const r = await d.initctl("start", "bad");
  assert.notEqual(r.code, 0);
  await d.waitForOutput(/bad main process: unable to sandbox: unknown system call frobnicate/);
});
