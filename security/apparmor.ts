/**
 * AppArmor for a job (see docs/job-files.md#process-setup): probes whether the kernel has AppArmor,
 * loads a job's profile for the `security` state (`apparmor load`) with the real `apparmor_parser
 * -r -W` (replace, and write the cache, as Upstart did), and builds the `aa-exec` wrapper that
 * starts the main process confined (`apparmor switch`).
 *
 * Unlike Ubuntu's Upstart, a failed load fails the job (PROCESS=security), and a job that asks
 * for AppArmor on a kernel without it fails with a message saying so — it never runs silently
 * unconfined.
 *
 * @module
 */

import { readText } from "../sys/libc.ts";

/** Where the kernel says whether AppArmor is enabled. */
export const APPARMOR_ENABLED_PATH = "/sys/module/apparmor/parameters/enabled";

/** The kernel's list of loaded profiles (securityfs; only root may read it). */
export const APPARMOR_PROFILES_PATH = "/sys/kernel/security/apparmor/profiles";

/** Paths of the AppArmor tools, first existing wins. */
const PARSERS = ["/sbin/apparmor_parser", "/usr/sbin/apparmor_parser"];

/**
 * Whether the running kernel has AppArmor enabled. Read through libc: Deno
 * refuses `/sys` and `/proc` to its own file APIs without `--allow-all`.
 */
export function appArmorEnabled(path = APPARMOR_ENABLED_PATH): boolean {
  return readText(path)?.startsWith("Y") ?? false;
}

/** The argv that loads a profile (replace + write cache). */
export function profileLoadArgv(parser: string, profile: string): string[] {
  return [parser, "-r", "-W", profile];
}

/**
 * The wrapper that runs the rest of a command line confined by `profile`: `aa-exec` writes
 * `exec PROFILE` to `/proc/self/attr/exec`, as Upstart's child did, so the profile applies from
 * the next exec on.
 */
export function profileSwitchArgv(aaExec: string, profile: string): string[] {
  return [aaExec, "-p", profile, "--"];
}

/** The profile names of the kernel's `profiles` listing (`NAME (MODE)` lines). */
export function loadedProfiles(listing: string): Set<string> {
  const names = new Set<string>();
  for (const line of listing.split("\n")) {
    const mode = line.lastIndexOf(" (");
    if (mode > 0) names.add(line.slice(0, mode));
  }
  return names;
}

/** Where {@linkcode switchFailure} looks; tests point these at files of their own. */
export interface AppArmorPaths {
  /** @default APPARMOR_ENABLED_PATH */
  readonly enabled?: string;
  /** @default APPARMOR_PROFILES_PATH */
  readonly profiles?: string;
}

/**
 * Whether the listing can tell: a namespaced (`:ns:name`) or stacked (`a//&b`) target is not
 * listed as such, and `unconfined` is never listed.
 */
function listable(profile: string): boolean {
  return !profile.startsWith(":") && !profile.includes("//&") && profile !== "unconfined";
}

/**
 * Why the main process cannot be started confined by `profile` (`apparmor switch`), or `null`
 * (also for no profile). Upstart fails the spawn when the switch fails in the child; `aa-exec`
 * failing after the spawn would only be an exit status, so what can be known is checked before:
 * the kernel must have AppArmor, and (when the daemon may read the kernel's listing) the profile
 * must be loaded.
 */
export function switchFailure(profile: string | null, paths: AppArmorPaths = {}): string | null {
  if (profile === null) return null;
  const prefix = `unable to switch to apparmor profile ${profile}`;
  if (!appArmorEnabled(paths.enabled)) return `${prefix}: AppArmor is not available in this kernel`;
  if (!listable(profile)) return null;
  // Unreadable for non-root daemons: aa-exec then reports a missing profile itself.
  const listing = readText(paths.profiles ?? APPARMOR_PROFILES_PATH);
  if (listing !== null && !loadedProfiles(listing).has(profile)) {
    return `${prefix}: no such profile is loaded`;
  }
  return null;
}

async function findParser(candidates: readonly string[]): Promise<string | null> {
  for (const p of candidates) {
    try {
      const st = await Deno.stat(p);
      if (st.isFile && ((st.mode ?? 0) & 0o111) !== 0) return p;
    } catch { /* try the next */ }
  }
  return null;
}

/** Loads profiles with the real `apparmor_parser`. */
export class AppArmorSecurity {
  readonly #enabledPath: string;

  /** @param options.enabledPath the kernel's flag file (tests) */
  constructor(options: { enabledPath?: string } = {}) {
    this.#enabledPath = options.enabledPath ?? APPARMOR_ENABLED_PATH;
  }

  /**
   * Loads `profile` (a file path); resolves with the reason on failure, which the engine logs as
   * `Failed to spawn JOB security process: REASON` and fails the job with.
   */
  async load(profile: string): Promise<{ ok: true } | { ok: false; message: string }> {
    const prefix = `unable to load apparmor profile ${profile}`;
    if (!appArmorEnabled(this.#enabledPath)) {
      return { ok: false, message: `${prefix}: AppArmor is not available in this kernel` };
    }
    const parser = await findParser(PARSERS);
    if (parser === null) return { ok: false, message: `${prefix}: apparmor_parser not found` };
    const [cmd, ...args] = profileLoadArgv(parser, profile);
    const out = await new Deno.Command(cmd!, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      clearEnv: true,
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
    }).output();
    if (out.code === 0) return { ok: true };
    // One log line: the parser may print warnings before its error.
    const lines = new TextDecoder().decode(out.stderr).split("\n").map((l) => l.trim());
    const text = lines.filter((l) => l !== "").join("; ");
    return { ok: false, message: text || `apparmor_parser exited with status ${out.code}` };
  }
}
