/**
 * The 35 job-file stanzas of Upstart 1.13 (see docs/job-files.md#stanzas), one handler each, in
 * Upstart's table order. Handlers read their arguments from the lexer the way `init/parse_job.c`
 * does, so errors land on the same lines, and write into a mutable {@linkcode JobDraft}.
 *
 * @module
 */

import type { Lexer } from "./_tokenizer.ts";
import type { JobSyntaxErrorKind } from "./errors.ts";
import { EXTENSION_STANZAS, FILTER_STANZAS } from "./extension_stanzas.ts";
import { parseOn } from "./event_expr.ts";
import { parseSignal, signalName } from "./signals.ts";
import type {
  CgroupSpec,
  ConsoleMode,
  DelegateSpec,
  ExpectMode,
  JobClassSpec,
  LimitResource,
  LimitValue,
  NormalExitValue,
  ProcessSlot,
  ProcessSpec,
} from "./types.ts";
import { LIMIT_RESOURCES } from "./types.ts";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A {@linkcode JobClassSpec} under construction: every field and list writable. */
export type JobDraft =
  & Omit<
    Mutable<JobClassSpec>,
    | "env"
    | "export"
    | "emits"
    | "normalExit"
    | "limits"
    | "processes"
    | "cgroups"
    | "readWritePaths"
    | "readOnlyPaths"
    | "delegates"
  >
  & {
    env: string[];
    export: string[];
    emits: string[];
    normalExit: NormalExitValue[];
    limits: Partial<Record<LimitResource, readonly [LimitValue, LimitValue]>>;
    processes: Partial<Record<ProcessSlot, ProcessSpec>>;
    cgroups: CgroupSpec[];
    readWritePaths: string[];
    readOnlyPaths: string[];
    delegates: DelegateSpec[];
  };

/** What a handler gets: the lexer just past the keyword, the draft, the keyword's line. */
export interface StanzaContext {
  readonly lex: Lexer;
  readonly job: JobDraft;
  readonly line: number;
}

/** Reads one stanza's arguments (and the end of its line) into the draft. */
export type StanzaHandler = (ctx: StanzaContext) => void;

const INT_MAX = 2147483647n;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
const ULONG_MAX = 2n ** 64n - 1n;
const CONSOLE_MODES: readonly string[] = ["none", "log", "output", "owner"];
const EXPECT_MODES: readonly string[] = ["none", "stop", "fork", "daemon"];
const RESOURCES: readonly string[] = LIMIT_RESOURCES;

/**
 * C `strtol`/`strtoul` where the whole string must convert (`errno == 0 && *endptr == '\0'`):
 * leading C whitespace and a sign are allowed, `strtoul` wraps negatives modulo 2^64.
 */
function cInteger(text: string, base: 8 | 10, unsigned: boolean): bigint | null {
  let i = 0;
  while (i < text.length && " \t\n\v\f\r".includes(text[i] as string)) i++;
  const sign = text[i];
  if (sign === "+" || sign === "-") i++;
  const digitsStart = i;
  const top = base === 8 ? 55 : 57;
  while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= top) i++;
  // No digits: endptr stays at the start, which is only '\0' for an empty string.
  if (i === digitsStart) return text.length === 0 ? 0n : null;
  if (i !== text.length) return null;
  const digits = text.slice(digitsStart);
  const magnitude = base === 8 ? BigInt(`0o${digits}`) : BigInt(digits);
  if (unsigned) {
    if (magnitude > ULONG_MAX) return null;
    return sign === "-" ? (ULONG_MAX + 1n - magnitude) % (ULONG_MAX + 1n) : magnitude;
  }
  const value = sign === "-" ? -magnitude : magnitude;
  return value < LONG_MIN || value > LONG_MAX ? null : value;
}

/** `(int)` cast of a C long. */
function toInt(value: bigint): number {
  return Number(BigInt.asIntN(32, value));
}

/** A signal name (with or without `SIG`) or a decimal number ≤ INT_MAX, else null. */
function signalOrNumber(text: string): number | null {
  const named = parseSignal(text);
  if (named !== null) return named;
  const n = cInteger(text, 10, true);
  return n === null || n > INT_MAX ? null : Number(n);
}

/** Reads a value token and reports `kind` at its start when `convert` rejects it. */
function value<T>(
  lex: Lexer,
  kind: JobSyntaxErrorKind,
  convert: (text: string) => T | null,
  oomScore = false,
): T {
  const at = lex.mark();
  const result = convert(lex.arg());
  if (result === null) throw lex.error(kind, at.line, at.pos, oomScore);
  return result;
}

/** Reads the second word and fails with `Unknown stanza` at it unless it is one of `words`. */
function subword<W extends string>(lex: Lexer, words: readonly W[], raw = true): W {
  const at = lex.mark();
  const word = raw ? lex.word() : lex.arg();
  if (!(words as readonly string[]).includes(word)) lex.fail("UNKNOWN_STANZA", at.line, at.pos);
  return word as W;
}

type TextField =
  | "description"
  | "author"
  | "version"
  | "usage"
  | "instance"
  | "chroot"
  | "chdir"
  | "setuid"
  | "setgid";

function text(field: TextField): StanzaHandler {
  return ({ lex, job }) => {
    job[field] = lex.arg();
    lex.skipComment();
  };
}

function list(field: "export" | "emits"): StanzaHandler {
  return ({ lex, job }) => {
    if (!lex.hasToken()) lex.fail("EXPECTED_TOKEN", lex.line, lex.pos);
    while (lex.hasToken()) job[field].push(lex.arg());
    lex.skipComment();
  };
}

function on(field: "startOn" | "stopOn"): StanzaHandler {
  return ({ lex, job }) => {
    subword(lex, ["on"]);
    job[field] = parseOn(lex);
  };
}

function execInto(slot: ProcessSlot, { lex, job, line }: StanzaContext): void {
  if (!lex.hasToken()) lex.fail("EXPECTED_TOKEN", lex.line, lex.pos);
  job.processes[slot] = { script: false, command: lex.command(), line };
}

function scriptInto(slot: ProcessSlot, { lex, job, line }: StanzaContext): void {
  lex.skipComment();
  job.processes[slot] = { script: true, command: lex.block("script"), line };
}

function hook(slot: ProcessSlot): StanzaHandler {
  return (ctx) => {
    if (subword(ctx.lex, ["exec", "script"]) === "exec") execInto(slot, ctx);
    else scriptInto(slot, ctx);
  };
}

function signal(field: "killSignal" | "reloadSignal", ctx: StanzaContext): void {
  ctx.job[field] = value(ctx.lex, "ILLEGAL_SIGNAL", signalOrNumber);
}

function seconds(text: string): number | null {
  const n = cInteger(text, 10, false);
  return n === null || n < 0n ? null : Number(n);
}

function limitValue(text: string): LimitValue | null {
  if (text === "unlimited") return "unlimited";
  const n = cInteger(text, 10, true);
  if (n === null) return null;
  return n === ULONG_MAX ? "unlimited" : Number(n);
}

function respawn({ lex, job }: StanzaContext): void {
  if (!lex.hasToken()) {
    job.respawn = true;
    lex.skipComment();
    return;
  }
  subword(lex, ["limit"]);
  const at = lex.mark();
  const countText = lex.arg();
  if (countText === "unlimited") {
    job.respawnLimit = { count: 0, interval: 0 };
  } else {
    const count = seconds(countText);
    if (count === null) throw lex.error("ILLEGAL_LIMIT", at.line, at.pos);
    const interval = value(lex, "ILLEGAL_INTERVAL", seconds);
    job.respawnLimit = { count, interval };
  }
  lex.skipComment();
}

function normalExit(text: string): NormalExitValue | null {
  const sig = parseSignal(text);
  if (sig !== null) return { kind: "signal", name: signalName(sig) ?? text, signal: sig };
  const n = cInteger(text, 10, true);
  return n === null || n > INT_MAX ? null : { kind: "status", value: Number(n) };
}

function oom({ lex, job }: StanzaContext): void {
  const at = lex.mark();
  const first = lex.arg();
  if (first === "score") {
    job.oomScoreAdj = value(lex, "ILLEGAL_OOM", (t) => {
      if (t === "never") return -1000;
      const n = cInteger(t, 10, false);
      const score = n === null ? null : toInt(n);
      return score === null || score < -1000 || score > 1000 ? null : score;
    }, true);
  } else if (first === "never") {
    job.oomScoreAdj = -1000;
  } else {
    const n = cInteger(first, 10, false);
    const adj = n === null ? null : toInt(n);
    if (adj === null || adj < -17 || adj > 15) throw lex.error("ILLEGAL_OOM", at.line, at.pos);
    job.oomScoreAdj = Math.trunc((adj * 1000) / (adj < 0 ? 17 : 15));
  }
  lex.skipComment();
}

function limit({ lex, job }: StanzaContext): void {
  const resource = subword(lex, RESOURCES, false) as LimitResource;
  const soft = value(lex, "ILLEGAL_LIMIT", limitValue);
  const hard = value(lex, "ILLEGAL_LIMIT", limitValue);
  job.limits[resource] = [soft, hard];
  lex.skipComment();
}

function cgroup({ lex, job }: StanzaContext): void {
  const controller = lex.arg();
  const rest: string[] = [];
  while (rest.length < 3 && lex.hasToken()) rest.push(lex.arg());
  lex.skipComment();
  // 1 extra argument: NAME; 2: KEY VALUE; 3: NAME KEY VALUE.
  const name = rest.length === 1 || rest.length === 3 ? rest[0] as string : "$UPSTART_CGROUP";
  const setting = rest.length >= 2 ? rest.slice(-2) as [string, string] : null;
  const index = job.cgroups.findIndex((c) => c.controller === controller && c.name === name);
  if (index < 0) {
    job.cgroups.push({ controller, name, settings: setting === null ? [] : [setting] });
    return;
  }
  if (setting === null) return;
  const old = job.cgroups[index] as CgroupSpec;
  const replaced = old.settings.some(([key]) => key === setting[0]);
  const settings = replaced
    ? old.settings.map((s) => s[0] === setting[0] ? setting : s)
    : [...old.settings, setting];
  job.cgroups[index] = { ...old, settings };
}

/**
 * Keyword → handler, exactly Upstart 1.13's table (see docs/job-files.md#stanzas). Keywords match
 * raw and case-sensitively; use {@linkcode lookupStanza} rather than indexing with untrusted text.
 */
export const STANZAS = {
  instance: text("instance"),
  description: text("description"),
  author: text("author"),
  version: text("version"),
  env: ({ lex, job }) => {
    job.env.push(lex.arg());
    lex.skipComment();
  },
  export: list("export"),
  start: on("startOn"),
  stop: on("stopOn"),
  emits: list("emits"),
  exec: (ctx) => execInto("main", ctx),
  script: (ctx) => scriptInto("main", ctx),
  "pre-start": hook("pre-start"),
  "post-start": hook("post-start"),
  "pre-stop": hook("pre-stop"),
  "post-stop": hook("post-stop"),
  expect: ({ lex, job }) => {
    job.expect = subword(lex, EXPECT_MODES, false) as ExpectMode;
    lex.skipComment();
  },
  task: ({ lex, job }) => {
    job.task = true;
    lex.skipComment();
  },
  kill: (ctx) => {
    if (subword(ctx.lex, ["timeout", "signal"]) === "timeout") {
      ctx.job.killTimeout = value(ctx.lex, "ILLEGAL_INTERVAL", seconds);
    } else {
      signal("killSignal", ctx);
    }
    ctx.lex.skipComment();
  },
  reload: (ctx) => {
    subword(ctx.lex, ["signal"]);
    signal("reloadSignal", ctx);
    ctx.lex.skipComment();
  },
  respawn,
  normal: ({ lex, job }) => {
    subword(lex, ["exit"]);
    do job.normalExit.push(value(lex, "ILLEGAL_EXIT", normalExit)); while (lex.hasToken());
    lex.skipComment();
  },
  console: ({ lex, job }) => {
    job.console = subword(lex, CONSOLE_MODES, false) as ConsoleMode;
    lex.skipComment();
  },
  umask: ({ lex, job }) => {
    job.umask = value(lex, "ILLEGAL_UMASK", (t) => {
      const n = cInteger(t, 8, true);
      const mask = n === null ? null : Number(BigInt.asUintN(32, n));
      return mask === null || (mask & ~0o777) !== 0 ? null : mask;
    });
    lex.skipComment();
  },
  nice: ({ lex, job }) => {
    job.nice = value(lex, "ILLEGAL_NICE", (t) => {
      const n = cInteger(t, 10, false);
      const nice = n === null ? null : toInt(n);
      return nice === null || nice < -20 || nice > 19 ? null : nice;
    });
    lex.skipComment();
  },
  oom,
  limit,
  chroot: text("chroot"),
  chdir: text("chdir"),
  setuid: text("setuid"),
  setgid: text("setgid"),
  // `debug` and `manual` leave the rest of the line alone: it is read as the next stanza.
  debug: ({ job }) => {
    job.debug = true;
  },
  manual: ({ job }) => {
    job.manual = true;
    job.startOn = null;
  },
  usage: text("usage"),
  apparmor: ({ lex, job }) => {
    if (subword(lex, ["load", "switch"]) === "load") job.apparmorLoad = lex.arg();
    else job.apparmorSwitch = lex.arg();
    lex.skipComment();
  },
  cgroup,
} as const satisfies Record<string, StanzaHandler>;

/** One of the 35 stanza keywords. */
export type StanzaKeyword = keyof typeof STANZAS;

const BY_KEYWORD: ReadonlyMap<string, StanzaHandler> = new Map([
  ...Object.entries(STANZAS),
  ...Object.entries(EXTENSION_STANZAS),
  ...Object.entries(FILTER_STANZAS),
]);

/**
 * @param keyword A raw stanza keyword.
 * @returns Its handler (Upstart's, or one of daybreak's `EXTENSION_STANZAS`), or undefined for
 *   an unknown stanza.
 */
export function lookupStanza(keyword: string): StanzaHandler | undefined {
  return BY_KEYWORD.get(keyword);
}
