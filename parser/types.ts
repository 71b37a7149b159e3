/**
 * The job-class model produced by the parser and run by the engine.
 *
 * Every field mirrors one Upstart 1.13 stanza (see docs/job-files.md#stanzas). Values are stored
 * the way the engine needs them (signal numbers, octal masks as numbers),
 * and `jobClassFields()` in `parser/fields.ts` renders the JSON view that
 * `init-checkconf --json` prints.
 *
 * @module
 */

/**
 * The six process slots of a job, spelled as Upstart spells them (see
 * docs/behaviour.md#process-names), in the fixed order status lines list live processes (see
 * docs/tools.md#status-line).
 *
 * @example
 * ```ts
 * import { PROCESS_NAMES } from "./types.ts";
 * PROCESS_NAMES[0]; // "main"
 * ```
 */
export const PROCESS_NAMES = [
  "main",
  "pre-start",
  "post-start",
  "pre-stop",
  "post-stop",
  "security",
] as const;
export type ProcessName = typeof PROCESS_NAMES[number];

/**
 * The five slots a job file can fill directly (`security` comes from `apparmor load`).
 *
 * @example
 * ```ts
 * import { PROCESS_SLOTS } from "./types.ts";
 * PROCESS_SLOTS.includes("pre-start"); // true
 * ```
 */
export const PROCESS_SLOTS = ["main", "pre-start", "post-start", "pre-stop", "post-stop"] as const;
export type ProcessSlot = typeof PROCESS_SLOTS[number];

/** One process definition: an `exec` command line or a `script` block. */
export interface ProcessSpec {
  /** true for `script … end script`, false for `exec COMMAND`. */
  readonly script: boolean;
  /**
   * The command line (raw, docs/job-files.md#command-lines) or the script text (indent stripped,
   * docs/job-files.md#script-blocks).
   */
  readonly command: string;
  /** 1-based line of the stanza that defined it. */
  readonly line: number;
}

/** One argument of an event match node (see docs/events.md#grammar). */
export type MatchArg =
  | { readonly kind: "positional"; readonly value: string }
  | {
    readonly kind: "named";
    readonly name: string;
    readonly op: "=" | "!=";
    readonly value: string;
  };

/**
 * An event expression tree (see docs/events.md#grammar): `and`/`or` bind equally, left to right.
 */
export type EventExpr =
  | { readonly kind: "match"; readonly event: string; readonly args: readonly MatchArg[] }
  | { readonly kind: "and" | "or"; readonly left: EventExpr; readonly right: EventExpr };

/** `console` stanza values (see docs/job-files.md#process-setup). */
export type ConsoleMode = "none" | "log" | "output" | "owner";

/** `expect` stanza values (see docs/behaviour.md#expect). */
export type ExpectMode = "none" | "stop" | "fork" | "daemon";

/**
 * Resources accepted by `limit` (see docs/job-files.md#process-setup).
 *
 * @example
 * ```ts
 * import { LIMIT_RESOURCES } from "./types.ts";
 * LIMIT_RESOURCES.includes("nofile"); // true
 * ```
 */
export const LIMIT_RESOURCES = [
  "as",
  "core",
  "cpu",
  "data",
  "fsize",
  "memlock",
  "msgqueue",
  "nice",
  "nofile",
  "nproc",
  "rss",
  "rtprio",
  "sigpending",
  "stack",
] as const;
export type LimitResource = typeof LIMIT_RESOURCES[number];

/** One rlimit value: an unsigned integer or `"unlimited"`. */
export type LimitValue = number | "unlimited";

/** `normal exit` entry: an exit status (as written) or a signal name without `SIG`. */
export type NormalExitValue =
  | { readonly kind: "status"; readonly value: number }
  | { readonly kind: "signal"; readonly name: string; readonly signal: number };

/** One `cgroup` stanza entry after merging (see docs/job-files.md#process-setup). */
export interface CgroupSpec {
  readonly controller: string;
  /** `$UPSTART_CGROUP` when not given. */
  readonly name: string;
  /** Settings in file order; a repeated key replaces its value. */
  readonly settings: readonly (readonly [key: string, value: string])[];
}

/**
 * Actions a `delegate` stanza can grant (a daybreak extension).
 *
 * @example
 * ```ts
 * import { DELEGATE_ACTIONS } from "./types.ts";
 * DELEGATE_ACTIONS.join(","); // "start,stop,restart,reload"
 * ```
 */
export const DELEGATE_ACTIONS = ["start", "stop", "restart", "reload"] as const;
export type DelegateAction = typeof DELEGATE_ACTIONS[number];

/** One `delegate ACTIONS WHO...` stanza (a daybreak extension): who may do what to the job. */
export interface DelegateSpec {
  /** In {@linkcode DELEGATE_ACTIONS} order, without duplicates (`all` is all four). */
  readonly actions: readonly DelegateAction[];
  /** User names, as written. */
  readonly users: readonly string[];
  /** Group names, without the `@`. */
  readonly groups: readonly string[];
  /** Variables these callers may pass (`env=NAME,…`); absent when none are named. */
  readonly env?: readonly string[];
}

/**
 * A fully parsed job class (one `.conf`, with its `.override` applied).
 *
 * Defaults follow docs/job-files.md#defaults. `null` means "not stated".
 */
export interface JobClassSpec {
  /** Job name derived from the path (see docs/configuration.md#job-names), e.g. `net/apache`. */
  readonly name: string;
  /** Path of the `.conf` file, when parsed from a file. */
  readonly file: string | null;
  /** Path of the `.override` file that was applied, if any. */
  readonly overrideFile: string | null;

  readonly description: string | null;
  readonly author: string | null;
  readonly version: string | null;
  readonly usage: string | null;
  /** Instance-name template; `""` for single-instance jobs. */
  readonly instance: string;

  readonly task: boolean;
  /** true when a `manual` stanza was seen (it also cleared `startOn`). */
  readonly manual: boolean;
  readonly respawn: boolean;
  /** `respawn limit COUNT INTERVAL`; `unlimited` is 0/0. Default 10 in 5 s. */
  readonly respawnLimit: { readonly count: number; readonly interval: number };
  readonly normalExit: readonly NormalExitValue[];
  readonly expect: ExpectMode;
  /** `null` when not stated: the daemon's default console applies (normally `log`). */
  readonly console: ConsoleMode | null;
  /** Signal number; default 15 (TERM). */
  readonly killSignal: number;
  /** Seconds; default 5. */
  readonly killTimeout: number;
  /** Signal number; default 1 (HUP). */
  readonly reloadSignal: number;
  /** `null` when not stated: 0o022 in system mode, init's umask in user mode. */
  readonly umask: number | null;
  readonly nice: number | null;
  /** oom_score_adj (−1000…1000); `oom never` is −1000. `null` = unchanged. */
  readonly oomScoreAdj: number | null;
  readonly limits: Readonly<Partial<Record<LimitResource, readonly [LimitValue, LimitValue]>>>;
  readonly chroot: string | null;
  readonly chdir: string | null;
  readonly setuid: string | null;
  readonly setgid: string | null;
  readonly apparmorLoad: string | null;
  readonly apparmorSwitch: string | null;
  readonly debug: boolean;

  /** `env` entries in order, as written: `KEY=VALUE` or bare `KEY`. Duplicates kept. */
  readonly env: readonly string[];
  readonly export: readonly string[];
  readonly emits: readonly string[];
  readonly startOn: EventExpr | null;
  readonly stopOn: EventExpr | null;
  readonly processes: Readonly<Partial<Record<ProcessSlot, ProcessSpec>>>;
  readonly cgroups: readonly CgroupSpec[];

  // daybreak extensions (not in Upstart): see `parser/extension_stanzas.ts`.

  /** `no-new-privileges`: the job runs with `PR_SET_NO_NEW_PRIVS`. */
  readonly noNewPrivileges: boolean;
  /**
   * `capabilities`: the capability bounding set, as names without `cap_` in kernel order;
   * `[]` for `none`, `null` when not stated (unchanged).
   */
  readonly capabilities: readonly string[] | null;
  /** `private-tmp`: an empty `/tmp` of the job's own. */
  readonly privateTmp: boolean;
  /** `protect-system`: the whole file system read-only except the read-write paths. */
  readonly protectSystem: boolean;
  /** `read-write-paths`, in file order (absolute host paths). */
  readonly readWritePaths: readonly string[];
  /** `read-only-paths`, in file order (absolute host paths). */
  readonly readOnlyPaths: readonly string[];
  /** `private-network`: a network namespace with only `lo`. */
  readonly privateNetwork: boolean;
  /** `hostname`: a UTS namespace with this host name; `null` when not stated. */
  readonly hostname: string | null;
  /** `delegate` stanzas in file order (checked by the daemon, not the parser). */
  readonly delegates: readonly DelegateSpec[];
  /** `seccomp` stanzas, merged; absent when none is stated (no filter). */
  readonly seccomp?: SeccompSpec;
}

/**
 * The `seccomp` stanzas of a job (docs/job-files.md#seccomp): the calls denied are the default
 * list when `default` is set, plus `deny`, minus `allow`. Names are checked by the daemon.
 */
export interface SeccompSpec {
  readonly default: boolean;
  readonly deny: readonly string[];
  readonly allow: readonly string[];
}

/** An event as seen by matchers: a name and its ordered `KEY=VALUE` environment. */
export interface EventLike {
  readonly name: string;
  readonly env: readonly string[];
}
