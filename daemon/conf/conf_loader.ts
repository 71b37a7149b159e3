/**
 * Loads every job of a list of configuration sources (see docs/configuration.md#configuration).
 *
 * The file system arrives through {@linkcode ConfFileSystem}, so the loader
 * stays pure and tests use an in-memory tree. One broken file never stops
 * the others: its error is collected and loading goes on.
 *
 * @module
 */

import {
  confFileKind,
  type ConfSource,
  isWalkedDirectory,
  jobNameFromPath,
} from "./conf_sources.ts";
import { JobSyntaxError } from "../../parser/errors.ts";
import type { ConfDirEntry, ConfFileSystem } from "../ports.ts";
import { applyOverride, parseJobConfig } from "../../parser/parse_job.ts";
import type { JobClassSpec } from "../../parser/types.ts";

export type { ConfDirEntry, ConfFileSystem };

/** A problem met while loading; parse errors keep their {@linkcode JobSyntaxError}. */
export interface ConfLoadProblem {
  /** The file (or source directory) concerned. */
  readonly file: string;
  /** The job the file would have defined, when known. */
  readonly job: string | null;
  /** The syntax error, when it is one. */
  readonly error: JobSyntaxError | null;
  /** One line in Upstart's log form: `FILE:LINE:COL: MESSAGE` or `FILE: Error while loading configuration file: REASON`. */
  readonly message: string;
}

/** A configuration file found in a source. */
export interface ConfFile {
  readonly job: string;
  readonly path: string;
  readonly kind: "conf" | "override";
  readonly source: number;
}

/** The result of {@linkcode loadConfiguration}. */
export interface LoadedConfiguration {
  /** Registered jobs by name (the earliest source with a parseable file wins). */
  readonly jobs: Map<string, JobClassSpec>;
  readonly problems: ConfLoadProblem[];
  /** Every `.conf`/`.override` file seen, for change detection. */
  readonly files: ConfFile[];
}

/**
 * Walks every source and parses its job files, applying overrides.
 *
 * @param fs The file-system port.
 * @param sources Sources in priority order (see `configSources`).
 * @returns The registered jobs, the problems met, and the files seen.
 *
 * @example With an in-memory file system
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadConfiguration } from "./conf_loader.ts";
 * const files: Record<string, string> = { "/etc/init/a.conf": "task\n", "/etc/init/b.conf": "bad\n" };
 * const fs = {
 *   readDir: (dir: string) =>
 *     Promise.resolve(dir === "/etc/init"
 *       ? ["a.conf", "b.conf"].map((name) => ({ name, isFile: true, isDirectory: false }))
 *       : null),
 *   readTextFile: (path: string) => Promise.resolve(files[path] ?? null),
 * };
 * const { jobs, problems } = await loadConfiguration(fs, [{ path: "/etc/init", kind: "dir" }]);
 * assert.deepEqual([...jobs.keys()], ["a"]);
 * assert.equal(problems[0]?.message, "/etc/init/b.conf:1:1: Unknown stanza");
 * ```
 */
export async function loadConfiguration(
  fs: ConfFileSystem,
  sources: readonly ConfSource[],
): Promise<LoadedConfiguration> {
  const problems: ConfLoadProblem[] = [];
  const files: ConfFile[] = [];
  for (const [index, source] of sources.entries()) {
    if (source.kind === "file") {
      await checkInitConf(fs, source.path, problems);
      continue;
    }
    await walk(fs, source.path, source.path, index, files, problems);
  }
  const jobs = new Map<string, JobClassSpec>();
  const confsByJob = new Map<string, ConfFile[]>();
  // Overrides by job, in the order found: looked up once per job, not by a walk of every file
  // (500 jobs made that 250,000 tests).
  const overrides = new Map<string, ConfFile[]>();
  for (const f of files) {
    const byJob = f.kind === "conf" ? confsByJob : overrides;
    const list = byJob.get(f.job);
    if (list === undefined) byJob.set(f.job, [f]);
    else list.push(f);
  }
  // Each job's first file is read ahead, a few at once, while earlier ones are parsed.
  const ahead = readingAhead(fs, [...confsByJob.values()].map((c) => c[0]!.path));
  for (const [job, confs] of confsByJob) {
    for (const conf of confs) {
      const spec = await loadJob(ahead, conf, overrides.get(job) ?? [], problems);
      if (spec !== null) {
        jobs.set(job, spec);
        break;
      }
    }
  }
  return { jobs, problems, files };
}

/**
 * Parses one `.conf` and applies the first `.override` found from the first
 * source up to and including the `.conf`'s own source (see docs/configuration.md#overrides). A
 * broken override is reported and treated as absent (daybreak's fix of
 * docs/configuration.md#overrides).
 *
 * @param overrides the `.override` files of `conf`'s job, in the order found
 */
export async function loadJob(
  fs: ConfFileSystem,
  conf: ConfFile,
  overrides: readonly ConfFile[],
  problems: ConfLoadProblem[],
): Promise<JobClassSpec | null> {
  const text = await readOrReport(fs, conf.path, conf.job, problems);
  if (text === null) return null;
  let spec: JobClassSpec;
  try {
    spec = parseJobConfig(text, { name: conf.job, file: conf.path });
  } catch (e) {
    if (!(e instanceof JobSyntaxError)) throw e;
    problems.push({ file: conf.path, job: conf.job, error: e, message: e.format() });
    return null;
  }
  const override = overrides.find((f) => f.source <= conf.source);
  if (override === undefined) return spec;
  const overrideText = await readOrReport(fs, override.path, conf.job, problems);
  if (overrideText === null) return spec;
  try {
    return applyOverride(spec, overrideText, { file: override.path });
  } catch (e) {
    if (!(e instanceof JobSyntaxError)) throw e;
    problems.push({ file: override.path, job: conf.job, error: e, message: e.format() });
    return spec;
  }
}

/**
 * Files read at once ahead of the parse. Each read is a round trip through one of Deno's worker
 * threads: 500 small job files loaded in a median 109 ms read one after the other, 81 ms with
 * 8 ahead (the daemon's first load, 2-core machine; bench/cold_start_bench.ts times start-up).
 */
const READ_AHEAD = 8;

/** `fs`, with `paths` read ahead in their order, at most {@linkcode READ_AHEAD} at a time. */
function readingAhead(fs: ConfFileSystem, paths: readonly string[]): ConfFileSystem {
  const pending = new Map<string, Promise<string | null>>();
  let next = 0;
  const fill = () => {
    while (pending.size < READ_AHEAD && next < paths.length) {
      const path = paths[next++]!;
      const read = fs.readTextFile(path);
      read.catch(() => {}); // reported when it is asked for
      pending.set(path, read);
    }
  };
  fill();
  return {
    readDir: (path) => fs.readDir(path),
    readTextFile: (path) => {
      const read = pending.get(path);
      if (read === undefined) return fs.readTextFile(path);
      pending.delete(path);
      fill();
      return read;
    },
  };
}

async function readOrReport(
  fs: ConfFileSystem,
  path: string,
  job: string | null,
  problems: ConfLoadProblem[],
): Promise<string | null> {
  try {
    return await fs.readTextFile(path);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    problems.push({
      file: path,
      job,
      error: null,
      message: `${path}: Error while loading configuration file: ${reason}`,
    });
    return null;
  }
}

async function walk(
  fs: ConfFileSystem,
  root: string,
  dir: string,
  source: number,
  files: ConfFile[],
  problems: ConfLoadProblem[],
): Promise<void> {
  let entries: ConfDirEntry[] | null;
  try {
    entries = await fs.readDir(dir);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    problems.push({
      file: dir,
      job: null,
      error: null,
      message: `${dir}: Unable to load configuration: ${reason}`,
    });
    return;
  }
  if (entries === null) return;
  // Sorted so that results (and reported problems) do not depend on readdir order.
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = dir === "/" ? `/${entry.name}` : `${dir}/${entry.name}`;
    if (entry.isDirectory) {
      if (isWalkedDirectory(entry.name)) await walk(fs, root, path, source, files, problems);
      continue;
    }
    if (!entry.isFile) continue;
    const kind = confFileKind(entry.name);
    const job = kind === null ? null : jobNameFromPath(root, path);
    if (kind === null || job === null) continue;
    files.push({ job, path, kind, source });
  }
}

/**
 * `/etc/init.conf` has no stanzas: only blank and comment lines are valid
 * (see docs/configuration.md#sources); anything else is an `Unknown stanza`.
 */
async function checkInitConf(
  fs: ConfFileSystem,
  path: string,
  problems: ConfLoadProblem[],
): Promise<void> {
  const text = await readOrReport(fs, path, null, problems);
  if (text === null) return;
  const lines = text.split("\n");
  for (const [i, line] of lines.entries()) {
    const m = /^[ \t\r]*/.exec(line);
    const indent = m === null ? 0 : m[0].length;
    const rest = line.slice(indent);
    if (rest === "" || rest.startsWith("#")) continue;
    const error = new JobSyntaxError("UNKNOWN_STANZA", {
      file: path,
      line: i + 1,
      column: indent + 1,
    });
    problems.push({ file: path, job: null, error, message: error.format() });
    return;
  }
}
