/**
 * A {@linkcode SetupSpec} that asks for no setup step (umask 022 as the daemon's, no nice, no
 * limits, root, no chroot), for the tests of how a command is wrapped.
 *
 * @module
 */

import { NO_CREDENTIALS } from "../../security/credentials.ts";
import type { SetupSpec } from "../../security/sandbox.ts";

/** The main process with nothing to set up; tests spread it and override what they test. */
export const BASE_SETUP: SetupSpec = {
  process: "main",
  umask: 0o022,
  nice: null,
  limits: {},
  chroot: null,
  chdir: null,
  credentials: NO_CREDENTIALS,
  daemonUmask: 0o022,
  daemonNice: 0,
};

/** The command the wrapping tests wrap. */
export const SLEEP_ARGV: readonly string[] = ["/bin/sleep", "5"];
