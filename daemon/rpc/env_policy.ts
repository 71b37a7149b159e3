/**
 * What environment a caller who is neither root nor the instance owner may
 * pass to a job, and what it may see (see
 * `docs/job-files.md#delegate--daybreak-extension` and `docs/rpc.md#who-sees-what`).
 *
 * - Passing: only variables a `delegate` rule names for the caller, and never
 *   one that changes how a loader, a shell or a library finds code or data
 *   ({@linkcode isUnsafeVariable}): a job may run as root, and its scripts run
 *   through `/bin/sh` with the environment the request gives them.
 * - Seeing: environment values may be secrets (`env DB_PASSWORD=…` in a 0600
 *   job file). Others see the names, with every value but the public ones
 *   ({@linkcode PUBLIC_VARIABLES}) replaced by {@linkcode REDACTED}.
 *
 * @module
 */

/**
 * Variables no delegated caller may set, named or not: the dynamic loader's,
 * the shells' start-up and parsing hooks, the C library's lookup paths and
 * resolver settings, and the interpreters' module paths.
 */
export const UNSAFE_VARIABLES: ReadonlySet<string> = new Set([
  // search paths and the shells' hooks
  "PATH",
  "BASH_ENV",
  "ENV",
  "IFS",
  "SHELLOPTS",
  "BASHOPTS",
  "PS4",
  "CDPATH",
  "GLOBIGNORE",
  "PROMPT_COMMAND",
  "SHELL",
  "HOME",
  "TMPDIR",
  // the C library (glibc's list of variables cleared for set-uid programs)
  "GCONV_PATH",
  "GETCONF_DIR",
  "GLIBC_TUNABLES",
  "HOSTALIASES",
  "LOCALDOMAIN",
  "LOCPATH",
  "NIS_PATH",
  "NLSPATH",
  "RESOLV_HOST_CONF",
  "RES_OPTIONS",
  "TZDIR",
  // interpreters that load code from their environment
  "PERLLIB",
  "PERL5LIB",
  "PERL5OPT",
  "PERL5DB",
  "RUBYLIB",
  "RUBYOPT",
  "GEM_PATH",
  "GEM_HOME",
  "JAVA_TOOL_OPTIONS",
  "_JAVA_OPTIONS",
  "CLASSPATH",
  "LUA_PATH",
  "LUA_CPATH",
  "TCLLIBPATH",
  "OPENSSL_CONF",
  "OPENSSL_ENGINES",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "XDG_CONFIG_DIRS",
  "XDG_DATA_DIRS",
]);

/** Prefixes of families of unsafe variables (`LD_PRELOAD`, `BASH_FUNC_f%%`, `PYTHONPATH`, …). */
export const UNSAFE_PREFIXES: readonly string[] = [
  "LD_",
  "DYLD_",
  "MALLOC_",
  "BASH_FUNC_",
  "PYTHON",
  "NODE_",
  "DENO_",
  "UPSTART_",
];

/**
 * Whether a delegated caller is never allowed to set this variable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isUnsafeVariable } from "./env_policy.ts";
 * assert.equal(isUnsafeVariable("LD_PRELOAD"), true);
 * assert.equal(isUnsafeVariable("PORT"), false);
 * ```
 */
export function isUnsafeVariable(name: string): boolean {
  return UNSAFE_VARIABLES.has(name) || UNSAFE_PREFIXES.some((p) => name.startsWith(p));
}

/** The name of a `KEY=VALUE` (or bare `KEY`) entry. */
export function variableName(entry: string): string {
  const at = entry.indexOf("=");
  return at < 0 ? entry : entry.slice(0, at);
}

/**
 * Variables whose values everyone may read: Upstart's defaults of every job (see
 * docs/behaviour.md#environment).
 */
export const PUBLIC_VARIABLES: ReadonlySet<string> = new Set(["PATH", "TERM"]);

/** What stands for a value a caller may not see. */
export const REDACTED = "<hidden>";

/**
 * One `KEY=VALUE` entry as a caller who may not read values sees it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redactEntry } from "./env_policy.ts";
 * assert.equal(redactEntry("DB_PASSWORD=s3cret"), "DB_PASSWORD=<hidden>");
 * assert.equal(redactEntry("PATH=/usr/bin:/bin"), "PATH=/usr/bin:/bin");
 * ```
 */
export function redactEntry(entry: string): string {
  const at = entry.indexOf("=");
  if (at < 0 || PUBLIC_VARIABLES.has(entry.slice(0, at))) return entry;
  return `${entry.slice(0, at)}=${REDACTED}`;
}
