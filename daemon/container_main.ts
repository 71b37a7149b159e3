/**
 * The entry point of `init --container` (bin/init runs it directly, so that the daemon's modules
 * load only when there are sidecars). Kept apart from `modes/container.ts` so that importing that
 * module never starts anything, bundled or not (see docs/container.md).
 *
 * @module
 */

import { containerMain } from "./modes/container.ts";

if (import.meta.main) {
  let status = 1;
  try {
    status = await containerMain(Deno.args);
  } catch (e) {
    try {
      Deno.stderr.writeSync(new TextEncoder().encode(`init: ${String(e)}\n`));
    } catch { /* nothing to do */ }
  }
  Deno.exit(status);
}
