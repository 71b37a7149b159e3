/**
 * daybreak's own providers of the boot events (see docs/pid1.md#built-in-providers). Upstart's
 * `rc-sysinit` starts on `filesystem and static-network-up`, which Upstart itself never emits:
 * on Ubuntu, mountall and ifupdown's jobs do. A machine whose `/etc/init` holds Upstart's jobs but
 * no such provider would never leave the start-up event; Ubuntu's gettys also wait for
 * `not-container`, from Ubuntu's container-detect job. So PID 1 adds daybreak's `mountall`,
 * `network` and `container-detect` jobs (from its own `etc/init/`) for each event that no
 * configured job emits and whose job name is free.
 *
 * @module
 */

import { parseJobConfig } from "../../parser/parse_job.ts";
import type { JobClassSpec } from "../../parser/types.ts";

/** Each built-in job and the event that makes it needed. */
export const BUILTIN_PROVIDERS: readonly { readonly job: string; readonly event: string }[] = [
  { job: "mountall", event: "filesystem" },
  { job: "network", event: "static-network-up" },
  { job: "container-detect", event: "not-container" },
];

/**
 * The configured jobs plus each built-in provider whose event no configured job emits and whose
 * name no configured job takes.
 *
 * @param loaded the jobs from the configuration sources
 * @param builtins the parsed built-in providers
 * @returns `loaded` itself when nothing is missing
 */
export function supplementJobs(
  loaded: readonly JobClassSpec[],
  builtins: readonly JobClassSpec[],
): readonly JobClassSpec[] {
  const names = new Set(loaded.map((j) => j.name));
  const emitted = new Set(loaded.flatMap((j) => j.emits));
  const added = builtins.filter((b) => {
    const event = BUILTIN_PROVIDERS.find((p) => p.job === b.name)?.event;
    return event !== undefined && !names.has(b.name) && !emitted.has(event);
  });
  return added.length === 0 ? loaded : [...loaded, ...added];
}

/**
 * Reads and parses the built-in providers from `dir` (daybreak's `etc/init/`). A file that is
 * missing or does not parse is left out and named in `problems`.
 */
export function readBuiltinProviders(
  dir: string,
): { jobs: JobClassSpec[]; problems: string[] } {
  const jobs: JobClassSpec[] = [];
  const problems: string[] = [];
  for (const { job } of BUILTIN_PROVIDERS) {
    const file = `${dir}/${job}.conf`;
    try {
      jobs.push(parseJobConfig(Deno.readTextFileSync(file), { name: job, file }));
    } catch (e) {
      problems.push(`${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { jobs, problems };
}
