/**
 * Entry point of `runlevel` (bin/runlevel): wires compat_sysv/runlevel.ts
 * to the environment and the real utmp file.
 *
 * @module
 */

import { runlevel } from "../compat_sysv/runlevel.ts";
import { fileRunlevelStore } from "../compat_sysv/utmp_file.ts";
import { processOutput } from "./io.ts";

if (import.meta.main) {
  const env = { RUNLEVEL: Deno.env.get("RUNLEVEL"), PREVLEVEL: Deno.env.get("PREVLEVEL") };
  Deno.exit(await runlevel(Deno.args, { env, store: fileRunlevelStore, io: processOutput }));
}
