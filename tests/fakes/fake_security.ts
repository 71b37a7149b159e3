/**
 * A fake {@linkcode SecurityPort}: records every profile load and settles it only when a test
 * says so, so a job can be held in its `security` state.
 *
 * @module
 */

import type { SecurityPort } from "../../daemon/ports.ts";

type LoadResult = { ok: true } | { ok: false; message: string };

/** A recorded profile load, settled by the test. */
export interface FakeLoad {
  readonly profile: string;
  readonly job: string;
  settle(result: LoadResult): void;
}

/**
 * The fake security port.
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeSecurity } from "./fake_security.ts";
 * const security = new FakeSecurity();
 * const done = security.load("/etc/apparmor.d/x", "x");
 * security.loads[0]!.settle({ ok: true });
 * assert.deepEqual(await done, { ok: true });
 * ```
 */
export class FakeSecurity implements SecurityPort {
  readonly loads: FakeLoad[] = [];

  load(profile: string, job: string): Promise<LoadResult> {
    return new Promise((resolve) => this.loads.push({ profile, job, settle: resolve }));
  }
}
