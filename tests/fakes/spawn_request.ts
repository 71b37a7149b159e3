/**
 * A complete {@linkcode SpawnRequest} with the defaults of a job file that
 * states nothing (console none, umask 022, no limits or credentials), for
 * tests and benchmarks that drive the spawner directly.
 *
 * @module
 */

import type { SpawnRequest } from "../../daemon/ports.ts";

/** The PATH the requests run with unless told otherwise. */
export const TEST_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * A spawn request for `/bin/true` as job `test`, with `overrides` applied.
 *
 * @example
 * ```ts
 * import { spawnRequest } from "./spawn_request.ts";
 * spawnRequest({ command: "sleep 1" }).console; // "none"
 * ```
 */
export function spawnRequest(overrides: Partial<SpawnRequest> = {}): SpawnRequest {
  return {
    job: "test",
    instance: "",
    process: "main",
    script: false,
    command: "/bin/true",
    env: [TEST_PATH],
    console: "none",
    logDir: null,
    umask: 0o022,
    nice: null,
    oomScoreAdj: null,
    limits: {},
    chroot: null,
    chdir: null,
    setuid: null,
    setgid: null,
    expect: "none",
    ...overrides,
  };
}
