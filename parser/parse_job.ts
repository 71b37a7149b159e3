/**
 * Job files and overrides → {@linkcode JobClassSpec} (see docs/configuration.md#overrides,
 * docs/job-files.md#syntax, docs/job-files.md#stanzas).
 *
 * @module
 */

import { Lexer } from "./_tokenizer.ts";
import { SANDBOX_DEFAULTS } from "./extension_stanzas.ts";
import { type JobDraft, lookupStanza } from "./stanzas.ts";
import type { JobClassSpec } from "./types.ts";

/** Options for {@linkcode parseJobConfig}. */
export interface ParseJobOptions {
  /** Job name (see docs/configuration.md#job-names). */
  readonly name: string;
  /** Path reported in errors and stored as `file` (unless `base` is given). */
  readonly file?: string | null;
  /**
   * Parse into a copy of this spec instead of the defaults (how overrides apply,
   * docs/configuration.md#overrides).
   */
  readonly base?: JobClassSpec;
  /**
   * Told about every stanza before it is parsed, with the 1-based line and column of its
   * keyword (how `init-checkconf --upstart` finds daybreak's extension stanzas).
   */
  readonly onStanza?: (keyword: string, line: number, column: number) => void;
}

/**
 * The record of a job file with no stanzas (see docs/job-files.md#defaults). Fields that depend on
 * how init runs (`console`, `umask`, `nice`, `oomScoreAdj`) are null: "not stated".
 *
 * @param name Job name.
 * @param file Path of the `.conf`, if any.
 * @returns A fresh default spec.
 *
 * @example
 * ```ts
 * import { defaultJobClass } from "./parse_job.ts";
 * defaultJobClass("abstract").killTimeout; // 5
 * ```
 */
export function defaultJobClass(name: string, file: string | null = null): JobClassSpec {
  return {
    name,
    file,
    overrideFile: null,
    description: null,
    author: null,
    version: null,
    usage: null,
    instance: "",
    task: false,
    manual: false,
    respawn: false,
    respawnLimit: { count: 10, interval: 5 },
    normalExit: [],
    expect: "none",
    console: null,
    killSignal: 15,
    killTimeout: 5,
    reloadSignal: 1,
    umask: null,
    nice: null,
    oomScoreAdj: null,
    limits: {},
    chroot: null,
    chdir: null,
    setuid: null,
    setgid: null,
    apparmorLoad: null,
    apparmorSwitch: null,
    debug: false,
    env: [],
    export: [],
    emits: [],
    startOn: null,
    stopOn: null,
    processes: {},
    cgroups: [],
    ...SANDBOX_DEFAULTS,
    delegates: [],
  };
}

function toDraft(spec: JobClassSpec): JobDraft {
  return {
    ...spec,
    env: [...spec.env],
    export: [...spec.export],
    emits: [...spec.emits],
    normalExit: [...spec.normalExit],
    limits: { ...spec.limits },
    processes: { ...spec.processes },
    cgroups: [...spec.cgroups],
    readWritePaths: [...spec.readWritePaths],
    readOnlyPaths: [...spec.readOnlyPaths],
    delegates: [...spec.delegates],
  };
}

/**
 * Parses a job file (see docs/job-files.md#syntax, docs/job-files.md#stanzas). With `base`, the
 * stanzas are applied on top of a copy of it: single values replace, lists append, `manual` clears
 * `start on` (see docs/configuration.md#overrides).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJobConfig } from "./parse_job.ts";
 * const job = parseJobConfig("start on startup\nexec /bin/true\n", { name: "demo" });
 * assert.equal(job.processes.main?.command, "/bin/true");
 * ```
 *
 * @param text The file's contents.
 * @param options Name, file path and optional base spec.
 * @returns A new spec; `base` is not modified.
 * @throws {JobSyntaxError} For any error in the text, carrying `options.file`.
 */
export function parseJobConfig(text: string, options: ParseJobOptions): JobClassSpec {
  const file = options.file ?? null;
  const base = options.base ?? defaultJobClass(options.name, file);
  const job = toDraft(base);
  job.name = options.name;
  const lex = new Lexer(text, file);
  while (lex.pos < lex.len) {
    lex.skipSpaces();
    if (!lex.hasToken()) {
      lex.nextLine();
      continue;
    }
    const at = lex.mark();
    const keyword = lex.word();
    const handler = lookupStanza(keyword);
    // libnih has already counted any continuation lines after the keyword.
    if (handler === undefined) throw lex.error("UNKNOWN_STANZA", lex.line, at.pos);
    options.onStanza?.(keyword, at.line, at.pos - (text.lastIndexOf("\n", at.pos - 1) + 1) + 1);
    handler({ lex, job, line: at.line });
  }
  return shareDefaults(job);
}

/** One empty list for every spec that has none: never modified (the spec is readonly). */
const NONE: readonly never[] = Object.freeze([]);
const NO_LIMITS: JobClassSpec["limits"] = Object.freeze({});
const DEFAULT_RESPAWN_LIMIT: JobClassSpec["respawnLimit"] = Object.freeze({
  count: 10,
  interval: 5,
});

function shared<T>(list: readonly T[]): readonly T[] {
  return list.length === 0 ? NONE : list;
}

/**
 * The parsed spec with its empty lists and default values shared between all specs: a daemon
 * keeps every job's spec for as long as it runs, and most stanzas are absent from most files.
 */
function shareDefaults(job: JobDraft): JobClassSpec {
  const limit = job.respawnLimit;
  return {
    ...job,
    respawnLimit: limit.count === 10 && limit.interval === 5 ? DEFAULT_RESPAWN_LIMIT : limit,
    normalExit: shared(job.normalExit),
    limits: Object.keys(job.limits).length === 0 ? NO_LIMITS : job.limits,
    env: shared(job.env),
    export: shared(job.export),
    emits: shared(job.emits),
    cgroups: shared(job.cgroups),
    readWritePaths: shared(job.readWritePaths),
    readOnlyPaths: shared(job.readOnlyPaths),
    delegates: shared(job.delegates),
  };
}

/**
 * Applies an override file to a parsed job (see docs/configuration.md#overrides). daybreak treats a
 * broken override as absent: on error nothing is returned and the caller keeps `base`.
 *
 * @param base The job parsed from its `.conf`.
 * @param text The override's contents.
 * @param options `file`: the override's path; `onStanza` as for {@linkcode parseJobConfig}.
 * @returns A new spec with `overrideFile` set.
 * @throws {JobSyntaxError} For an error in the override, carrying the override's path.
 *
 * @example Disable a job with `manual`
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyOverride, parseJobConfig } from "./parse_job.ts";
 * const base = parseJobConfig("start on startup\nexec true\n", { name: "j" });
 * const job = applyOverride(base, "manual\n", { file: "/etc/init/j.override" });
 * assert.equal(job.startOn, null);
 * ```
 */
export function applyOverride(
  base: JobClassSpec,
  text: string,
  options: { readonly file: string } & Pick<ParseJobOptions, "onStanza">,
): JobClassSpec {
  const spec = parseJobConfig(text, { ...options, name: base.name, base });
  return { ...spec, file: base.file, overrideFile: options.file };
}
