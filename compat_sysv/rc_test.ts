import assert from "node:assert/strict";
import { runRc } from "./rc.ts";

Deno.test("rc runner: real scripts run in order with the runlevels in their environment", async () => {
  const etc = await Deno.makeTempDir();
  try {
    const log = `${etc}/log`;
    await Deno.mkdir(`${etc}/init.d`);
    await Deno.mkdir(`${etc}/rc2.d`);
    await Deno.mkdir(`${etc}/rc1.d`);
    for (const name of ["a", "b", "c.sh"]) {
      const path = `${etc}/init.d/${name}`;
      await Deno.writeTextFile(
        path,
        `#!/bin/sh\necho "${name} $1 $RUNLEVEL $PREVLEVEL $previous" >> ${log}\nexit 3\n`,
      );
      await Deno.chmod(path, name.endsWith(".sh") ? 0o644 : 0o755); // .sh runs through sh
    }
    await Deno.symlink("../init.d/b", `${etc}/rc1.d/K01b`);
    await Deno.symlink("../init.d/a", `${etc}/rc1.d/S01a`);
    await Deno.symlink("../init.d/c.sh", `${etc}/rc1.d/S02c.sh`);
    await Deno.symlink("../init.d/missing", `${etc}/rc1.d/S03missing`);
    await Deno.symlink("../init.d/b", `${etc}/rc2.d/S01b`);
    const done = await runRc("1", "2", { etc });
    assert.deepEqual(done.map((d) => [d.step.name, d.code]), [["b", 3], ["a", 3], ["c.sh", 3]]);
    assert.equal(
      await Deno.readTextFile(log),
      "b stop 1 2 2\na start 1 2 2\nc.sh start 1 2 2\n",
    );
  } finally {
    await Deno.remove(etc, { recursive: true });
  }
});
