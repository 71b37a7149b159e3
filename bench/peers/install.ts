/**
 * Installing the peers the bench needs: Debian packages through apt-get (one
 * call for all of them, `apt-get update` only when the first attempt fails).
 * pm2 installs itself from npm (see `pm2.ts`).
 *
 * Debian's `supervisor` and `runit` packages ship system services; where a
 * `policy-rc.d` denies service starts (containers) nothing is started, and the
 * bench itself never uses the system instances either way.
 *
 * @module
 */

import { CommandFailedError, run } from "./exec.ts";

const APT_ENV = { DEBIAN_FRONTEND: "noninteractive" };

/** The argv of the install command for `packages`. */
export function aptInstallArgv(packages: readonly string[]): string[] {
  return ["apt-get", "install", "-y", "--no-install-recommends", ...packages];
}

/**
 * Installs Debian packages, retrying once after `apt-get update`.
 *
 * @throws {CommandFailedError} when the install fails after the update too.
 */
export async function installDebianPackages(
  packages: readonly string[],
  log: (line: string) => void,
): Promise<void> {
  if (packages.length === 0) return;
  const argv = aptInstallArgv(packages);
  const opts = { env: APT_ENV, inheritEnv: true, timeoutMs: 600_000 };
  log(`installing: ${argv.join(" ")}`);
  let r = await run(argv, opts);
  if (r.code === 0) return;
  log("apt-get install failed; running apt-get update and retrying");
  await run(["apt-get", "update"], opts);
  r = await run(argv, opts);
  if (r.code !== 0) throw new CommandFailedError(argv, r);
}

/** The installed version of a Debian package, or `null` when it is not installed. */
export async function debianVersion(pkg: string): Promise<string | null> {
  const r = await run(["dpkg-query", "-W", "-f", "${Version}", pkg], {
    env: APT_ENV,
    inheritEnv: true,
  })
    .catch(() => null);
  return r === null || r.code !== 0 || r.stdout.trim() === "" ? null : r.stdout.trim();
}
