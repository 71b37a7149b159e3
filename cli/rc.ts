/**
 * Entry point of daybreak's `rc RUNLEVEL` (bin/rc): the SysV runlevel
 * scripts of `/etc/rcN.d`, see compat_sysv/rc.ts. The runlevel comes from the
 * argument or `$RUNLEVEL`, the previous one from `$PREVLEVEL`.
 *
 * @module
 */

import { runRc } from "../compat_sysv/rc.ts";
import { processOutput } from "./io.ts";

if (import.meta.main) {
  const level = Deno.args[0] ?? Deno.env.get("RUNLEVEL") ?? "";
  if (!/^[0-6Ss]$/.test(level) || Deno.args.length > 1) {
    processOutput.err("Usage: rc RUNLEVEL (one of 0123456S)\n");
    Deno.exit(1);
  }
  const previous = Deno.env.get("PREVLEVEL") || "N";
  await runRc(level.toUpperCase(), previous);
  Deno.exit(0);
}
