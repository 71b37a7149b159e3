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
