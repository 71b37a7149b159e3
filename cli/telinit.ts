/**
 * Entry point of `telinit` (bin/telinit): wires compat_sysv/telinit.ts to
 * the real utmp files, clock and system daemon.
 *
 * @module
 */

import { telinit } from "../compat_sysv/telinit.ts";
import { fileRunlevelStore } from "../compat_sysv/utmp_file.ts";
import { connectDaemon } from "./address.ts";
import { processOutput } from "./io.ts";

function kernelRelease(): string {
  try {
    return Deno.osRelease();
  } catch {
    return "";
  }
}

if (import.meta.main) {
  // The runlevel event stops the job that ran us (rc-sysinit: `stop on runlevel`) while we are
  // still on our way out; ignoring its SIGTERM lets us finish and exit 0 rather than leave a
  // "killed by TERM signal" failure behind. We exit right after the daemon answers anyway.
  Deno.addSignalListener("SIGTERM", () => {});
  const env = { RUNLEVEL: Deno.env.get("RUNLEVEL") };
  const code = await telinit(Deno.args, {
    env,
    uid: Deno.uid(),
    now: () => Date.now(),
    kernelRelease,
    store: fileRunlevelStore,
    connect: () => connectDaemon({ mode: "system", env: {}, uid: 0 }),
    io: processOutput,
  });
  Deno.exit(code);
}
