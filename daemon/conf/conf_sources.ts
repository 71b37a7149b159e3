/**
 * Configuration sources and job names (see docs/configuration.md#configuration).
 *
 * Pure: the environment and the command-line directories come in as data,
 * so tests can cover system and user mode without touching the machine.
 *
 * @module
 */

/** One configuration source: a directory of job files, or the `/etc/init.conf` file. */
export interface ConfSource {
  readonly path: string;
  readonly kind: "dir" | "file";
}

/** Inputs to {@linkcode configSources}. */
export interface ConfSourceOptions {
  /** true for `init --user`. */
  readonly user: boolean;
  /** `--confdir DIR` values in order (replace the default list when non-empty). */
  readonly confdirs?: readonly string[];
  /** `--prepend-confdir DIR` values in order. */
  readonly prependConfdirs?: readonly string[];
  /** `--append-confdir DIR` values in order. */
  readonly appendConfdirs?: readonly string[];
  /** init's environment (UPSTART_CONFDIR, HOME, XDG_*, UPSTART_NO_SYSTEM_USERCONFDIR). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

const isAbsolute = (p: string | undefined): p is string => p !== undefined && p.startsWith("/");

/**
 * The ordered list of configuration sources; earlier sources win.
 *
 * @example Default system sources
 * ```ts
 * import assert from "node:assert/strict";
 * import { configSources } from "./conf_sources.ts";
 * assert.deepEqual(configSources({ user: false, env: {} }).map((s) => s.path), [
 *   "/etc/init.conf",
 *   "/etc/init",
 * ]);
 * ```
 */
export function configSources(options: ConfSourceOptions): ConfSource[] {
  const dir = (path: string): ConfSource => ({ path: trimSlashes(path), kind: "dir" });
  const sources: ConfSource[] = (options.prependConfdirs ?? []).map(dir);
  const confdirs = options.confdirs ?? [];
  const env = options.env;
  if (!options.user) {
    sources.push({ path: "/etc/init.conf", kind: "file" });
    if (confdirs.length > 0) sources.push(...confdirs.map(dir));
    else sources.push(dir(env.UPSTART_CONFDIR || "/etc/init"));
  } else if (confdirs.length > 0) {
    sources.push(...confdirs.map(dir));
  } else {
    sources.push(...userDefaultDirs(env).map(dir));
  }
  sources.push(...(options.appendConfdirs ?? []).map(dir));
  return sources;
}

/** The default user-session directories of docs/configuration.md#sources, in order. */
export function userDefaultDirs(env: Readonly<Record<string, string | undefined>>): string[] {
  const home = env.HOME ?? "";
  const dirs: string[] = [];
  dirs.push(
    isAbsolute(env.XDG_CONFIG_HOME) ? `${env.XDG_CONFIG_HOME}/upstart` : `${home}/.config/upstart`,
  );
  dirs.push(`${home}/.init`);
  for (const d of (env.XDG_CONFIG_DIRS || "/etc/xdg").split(":")) {
    if (isAbsolute(d)) dirs.push(`${d}/upstart`);
  }
  if (env.UPSTART_NO_SYSTEM_USERCONFDIR === undefined) dirs.push("/usr/share/upstart/sessions");
  return dirs;
}

function trimSlashes(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}

/**
 * What a file found in a source directory is, by its name (see docs/configuration.md#which-files).
 */
export type ConfFileKind = "conf" | "override";

/**
 * Classifies a file name: `.conf`, `.override`, or neither (`null`).
 * The extension is the text from the last dot; a name that is only the
 * extension (`.conf`) is ignored.
 */
export function confFileKind(fileName: string): ConfFileKind | null {
  const dot = fileName.lastIndexOf(".");
  if (dot <= 0) return null;
  const ext = fileName.slice(dot);
  if (ext === ".conf") return "conf";
  if (ext === ".override") return "override";
  return null;
}

const SKIPPED_DIR_SUFFIXES = [
  "~",
  ".bak",
  ".BAK",
  ".swp",
  ".swo",
  ".swn",
  ",v",
  ".rpmsave",
  ".rpmorig",
  ".rpmnew",
];
const SKIPPED_DIR_NAMES = new Set(["RCS", "CVS", "CVS.adm"]);

/**
 * Whether a sub-directory is walked (see docs/configuration.md#which-files): hidden, backup,
 * editor-swap, RCS/CVS and packaging-leftover directories are skipped.
 */
export function isWalkedDirectory(dirName: string): boolean {
  if (dirName.startsWith(".")) return false;
  if (dirName.startsWith("#") && dirName.endsWith("#")) return false;
  if (SKIPPED_DIR_NAMES.has(dirName)) return false;
  if (dirName.includes(".dpkg-")) return false;
  return !SKIPPED_DIR_SUFFIXES.some((s) => dirName.endsWith(s));
}

/**
 * The job name for a file inside a source directory (see docs/configuration.md#job-names): the path
 * relative to the source, leading slashes removed, the final extension removed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jobNameFromPath } from "./conf_sources.ts";
 * assert.equal(jobNameFromPath("/etc/init", "/etc/init/net/apache.conf"), "net/apache");
 * ```
 */
export function jobNameFromPath(sourceDir: string, filePath: string): string | null {
  const base = trimSlashes(sourceDir);
  const prefix = base === "/" ? "/" : `${base}/`;
  if (!filePath.startsWith(prefix)) return null;
  const rel = filePath.slice(prefix.length).replace(/^\/+/, "");
  const kind = confFileKind(rel.slice(rel.lastIndexOf("/") + 1));
  if (kind === null) return null;
  return rel.slice(0, rel.lastIndexOf("."));
}
