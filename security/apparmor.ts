/**
 * AppArmor for the `security` state (spec §3.6 `apparmor load`): probes
 * whether the kernel has AppArmor, and loads a job's profile with the real
 * `apparmor_parser -r -W` (replace, and write the cache, as Upstart did).
 *
 * Unlike Ubuntu's Upstart, a failed load fails the job (PROCESS=security),
 * and a job that asks for AppArmor on a kernel without it fails with a
 * message saying so — it never runs silently unconfined.
 *
 * @module
 */

import { readText } from "../daemon/supervisor/libc.ts";

/** Where the kernel says whether AppArmor is enabled. */
export const APPARMOR_ENABLED_PATH = "/sys/module/apparmor/parameters/enabled";

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

async function findParser(): Promise<string | null> {
  for (const p of PARSERS) {
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

  constructor(options: { enabledPath?: string } = {}) {
    this.#enabledPath = options.enabledPath ?? APPARMOR_ENABLED_PATH;
  }

  /** Loads `profile`; resolves with the parser's message on failure. */
  async load(profile: string, job: string): Promise<{ ok: true } | { ok: false; message: string }> {
    if (!appArmorEnabled(this.#enabledPath)) {
      return {
        ok: false,
        message: `${job}: AppArmor is not available in this kernel; cannot load profile ${profile}`,
      };
    }
    const parser = await findParser();
    if (parser === null) {
      return { ok: false, message: `${job}: apparmor_parser not found; cannot load ${profile}` };
    }
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
    const text = new TextDecoder().decode(out.stderr).trim() ||
      `apparmor_parser exited with status ${out.code}`;
    return { ok: false, message: text };
  }
}
