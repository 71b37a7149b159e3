/**
 * daybreak's own stanzas, beyond Upstart 1.13: process sandboxing and delegated control.
 * They are written in Upstart's style (one keyword, hyphenated, arguments on the same line)
 * and parsed with the same lexer, so quoting, continuations and comments behave the same.
 * `init-checkconf --upstart` reports every use of one, for files that must stay portable.
 *
 * | stanza | arguments | repeated |
 * |---|---|---|
 * | `no-new-privileges` | none | flag |
 * | `capabilities` | `CAP...` or `none` | last wins |
 * | `private-tmp` | none | flag |
 * | `protect-system` | none | flag |
 * | `read-write-paths` | `PATH...` (absolute) | accumulates |
 * | `read-only-paths` | `PATH...` (absolute) | accumulates |
 * | `private-network` | none | flag |
 * | `hostname` | `NAME` | last wins |
 * | `delegate` | `ACTION[,ACTION...] WHO... [env=NAME[,NAME...]]` | accumulates |
 * | `seccomp` | `default`, `deny SYSCALL...` or `allow SYSCALL...` | accumulates |
 *
 * @module
 */

import { CAPABILITIES, capabilityName, capabilityNumber } from "./capabilities.ts";
import type { JobSyntaxErrorKind } from "./errors.ts";
import type { StanzaContext, StanzaHandler } from "./stanzas.ts";
import {
  DELEGATE_ACTIONS,
  type DelegateAction,
  type JobClassSpec,
  type SeccompSpec,
} from "./types.ts";

type FlagField = "noNewPrivileges" | "privateTmp" | "protectSystem" | "privateNetwork";

function flag(field: FlagField): StanzaHandler {
  return ({ lex, job }) => {
    job[field] = true;
    lex.skipComment();
  };
}

/** Reads one argument and fails with `kind` at its start unless `valid` accepts it. */
function checkedArg(ctx: StanzaContext, kind: JobSyntaxErrorKind, valid: (t: string) => boolean) {
  const at = ctx.lex.mark();
  const text = ctx.lex.arg();
  if (!valid(text)) throw ctx.lex.error(kind, at.line, at.pos);
  return text;
}

function requireToken({ lex }: StanzaContext): void {
  if (!lex.hasToken()) lex.fail("EXPECTED_TOKEN", lex.line, lex.pos);
}

/** `capabilities CAP...` or `capabilities none`; the set is stored in kernel order. */
function capabilities(ctx: StanzaContext): void {
  requireToken(ctx);
  const numbers = new Set<number>();
  let none = false;
  let first = true;
  while (ctx.lex.hasToken()) {
    const word = checkedArg(ctx, "ILLEGAL_CAPABILITY", (t) => {
      // `none` only stands alone.
      if (t === "none") return first;
      return !none && capabilityName(t) !== null;
    });
    if (word === "none") none = true;
    else numbers.add(capabilityNumber(capabilityName(word) as string));
    first = false;
  }
  ctx.lex.skipComment();
  ctx.job.capabilities = [...numbers].sort((a, b) => a - b).map((n) => CAPABILITIES[n] as string);
}

function paths(field: "readWritePaths" | "readOnlyPaths"): StanzaHandler {
  return (ctx) => {
    requireToken(ctx);
    while (ctx.lex.hasToken()) {
      ctx.job[field].push(checkedArg(ctx, "ILLEGAL_PATH", (t) => t.startsWith("/")));
    }
    ctx.lex.skipComment();
  };
}

/** A host name the kernel takes (at most 64 bytes) and resolvers accept. */
const HOSTNAME = /^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$/;

function hostname(ctx: StanzaContext): void {
  ctx.job.hostname = checkedArg(ctx, "ILLEGAL_HOSTNAME", (t) => HOSTNAME.test(t));
  ctx.lex.skipComment();
}

/** A portable user or group name (POSIX, plus the `$` of machine accounts). */
const ACCOUNT = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/;
const ACTIONS: readonly string[] = DELEGATE_ACTIONS;

function actionList(text: string): DelegateAction[] | null {
  const wanted = new Set<string>();
  for (const word of text.split(",")) {
    if (word === "all") ACTIONS.forEach((a) => wanted.add(a));
    else if (ACTIONS.includes(word)) wanted.add(word);
    else return null;
  }
  return DELEGATE_ACTIONS.filter((a) => wanted.has(a));
}

/** A variable name a `delegate` rule may name (a shell identifier). */
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function variableList(text: string): string[] | null {
  const names = text.slice("env=".length).split(",");
  return names.every((n) => VARIABLE.test(n)) ? names : null;
}

/**
 * `delegate ACTIONS WHO... [env=NAME,...]`: WHO is a user name or `@group`; `env=` names
 * the variables these callers may pass with the actions
 * (`docs/job-files.md#delegate--daybreak-extension`). An `env=` word can be no account name
 * (it holds `=`), so older rules keep their meaning.
 */
function delegate(ctx: StanzaContext): void {
  const actions = actionList(checkedArg(ctx, "ILLEGAL_ACTION", (t) => actionList(t) !== null));
  requireToken(ctx);
  const users: string[] = [];
  const groups: string[] = [];
  let env: string[] | undefined;
  while (ctx.lex.hasToken()) {
    const at = ctx.lex.mark();
    const word = ctx.lex.arg();
    if (word.startsWith("env=")) {
      const names = variableList(word);
      if (names === null) throw ctx.lex.error("EXPECTED_VARIABLE", at.line, at.pos);
      env = [...new Set([...(env ?? []), ...names])];
      continue;
    }
    if (!ACCOUNT.test(word.replace(/^@/, ""))) throw ctx.lex.error("ILLEGAL_NAME", at.line, at.pos);
    if (word.startsWith("@")) groups.push(word.slice(1));
    else users.push(word);
  }
  if (users.length === 0 && groups.length === 0) {
    ctx.lex.fail("EXPECTED_TOKEN", ctx.lex.line, ctx.lex.pos);
  }
  ctx.lex.skipComment();
  ctx.job.delegates.push({
    actions: actions ?? [],
    users,
    groups,
    ...(env === undefined ? {} : { env }),
  });
}

/** A system call name as the kernel's tables spell them; whether it exists is the daemon's check. */
const SYSCALL = /^[a-z_][a-z0-9_]{0,63}$/;

/**
 * `seccomp default`, `seccomp deny SYSCALL...`, `seccomp allow SYSCALL...`
 * (docs/job-files.md#seccomp); every line adds to what earlier lines said.
 */
function seccomp(ctx: StanzaContext): void {
  const rule = checkedArg(ctx, "ILLEGAL_SECCOMP", (t) => ["default", "deny", "allow"].includes(t));
  const was: SeccompSpec = ctx.job.seccomp ?? { default: false, deny: [], allow: [] };
  const names: string[] = [];
  if (rule !== "default") {
    requireToken(ctx);
    while (ctx.lex.hasToken()) {
      names.push(checkedArg(ctx, "ILLEGAL_SYSCALL", (t) => SYSCALL.test(t)));
    }
  }
  ctx.lex.skipComment();
  ctx.job.seccomp = {
    default: was.default || rule === "default",
    deny: rule === "deny" ? [...was.deny, ...names] : was.deny,
    allow: rule === "allow" ? [...was.allow, ...names] : was.allow,
  };
}

/**
 * The sandbox stanzas of a job (daybreak extensions, `docs/job-files.md`): what the process
 * setup adds after Upstart's own stanzas.
 */
export type SandboxSpec = Pick<
  JobClassSpec,
  | "noNewPrivileges"
  | "capabilities"
  | "privateTmp"
  | "protectSystem"
  | "readWritePaths"
  | "readOnlyPaths"
  | "privateNetwork"
  | "hostname"
  | "seccomp"
>;

/** The sandbox fields of a job class when no extension stanza is stated: nothing changes. */
export const SANDBOX_DEFAULTS: SandboxSpec = {
  noNewPrivileges: false,
  capabilities: null,
  privateTmp: false,
  protectSystem: false,
  readWritePaths: [],
  readOnlyPaths: [],
  privateNetwork: false,
  hostname: null,
};

/** One extension stanza keyword. */
export type ExtensionKeyword =
  | "no-new-privileges"
  | "capabilities"
  | "private-tmp"
  | "protect-system"
  | "read-write-paths"
  | "read-only-paths"
  | "private-network"
  | "hostname"
  | "delegate";

/** An extension stanza that filters system calls (`seccomp`). */
export type FilterKeyword = "seccomp";

/**
 * Keyword → handler for daybreak's extension stanzas. {@linkcode lookupStanza} in
 * `stanzas.ts` finds these too; this table says which keywords Upstart would reject.
 *
 * @example
 * ```ts
 * import { EXTENSION_STANZAS } from "./extension_stanzas.ts";
 * "private-tmp" in EXTENSION_STANZAS; // true
 * ```
 */
export const EXTENSION_STANZAS: Readonly<Record<ExtensionKeyword, StanzaHandler>> = {
  "no-new-privileges": flag("noNewPrivileges"),
  capabilities,
  "private-tmp": flag("privateTmp"),
  "protect-system": flag("protectSystem"),
  "read-write-paths": paths("readWritePaths"),
  "read-only-paths": paths("readOnlyPaths"),
  "private-network": flag("privateNetwork"),
  hostname,
  delegate,
};

/**
 * Keyword → handler for the system-call filter stanza, a later addition kept in its own table
 * (the first nine shape mounts, namespaces and privileges; this one filters calls).
 * {@linkcode lookupStanza} and {@linkcode isExtensionStanza} cover both tables.
 */
export const FILTER_STANZAS: Readonly<Record<FilterKeyword, StanzaHandler>> = { seccomp };

/**
 * Whether a keyword is one of daybreak's extension stanzas.
 *
 * @param keyword A raw stanza keyword.
 * @returns Whether it is a daybreak extension (not an Upstart 1.13 stanza).
 *
 * @example
 * ```ts
 * import { isExtensionStanza } from "./extension_stanzas.ts";
 * isExtensionStanza("hostname"); // true
 * isExtensionStanza("exec"); // false
 * ```
 */
export function isExtensionStanza(keyword: string): keyword is ExtensionKeyword | FilterKeyword {
  return Object.hasOwn(EXTENSION_STANZAS, keyword) || Object.hasOwn(FILTER_STANZAS, keyword);
}
