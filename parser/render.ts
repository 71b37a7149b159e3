/**
 * Text forms of event expressions: the canonical rendering of spec §4.1 and
 * the `initctl show-config [-e]` output of spec §7.4.
 *
 * @module
 */

import type { EventExpr, JobClassSpec, MatchArg } from "./types.ts";

/** Job events, whose first argument names a job (spec §7.4). */
const JOB_EVENTS: ReadonlySet<string> = new Set(["starting", "started", "stopping", "stopped"]);

/** One argument as stored: a positional value as is, a named one as `K=V` / `K!=V`. */
function argText(arg: MatchArg): string {
  return arg.kind === "positional" ? arg.value : `${arg.name}${arg.op}${arg.value}`;
}

/**
 * Renders an expression canonically (spec §4.1): every binary operator as
 * `(LEFT op RIGHT)`, a leaf as the event name and its arguments, dequoted and
 * single-space separated; a lone event is not parenthesised.
 *
 * @param expr the expression
 * @returns its canonical text
 *
 * @example Usage
 * ```ts
 * import { renderEventExpr } from "./render.ts";
 * renderEventExpr({
 *   kind: "or",
 *   left: { kind: "match", event: "wibble", args: [] },
 *   right: { kind: "match", event: "foo", args: [{ kind: "named", name: "KEY", op: "=", value: "a b" }] },
 * }); // "(wibble or foo KEY=a b)"
 * ```
 */
export function renderEventExpr(expr: EventExpr): string {
  if (expr.kind === "match") {
    let out = expr.event;
    for (const arg of expr.args) out += " " + argText(arg);
    return out;
  }
  return `(${renderEventExpr(expr.left)} ${expr.kind} ${renderEventExpr(expr.right)})`;
}

/** One leaf of an expression as `show-config -e` and `check-config` see it. */
export interface EnumeratedEvent {
  /** The event name. */
  readonly event: string;
  /** The job a job event names, `""` when none. */
  readonly job: string;
  /** The remaining arguments as stored (`VALUE`, `K=V`, `K!=V`). */
  readonly env: string[];
}

interface Leaf {
  readonly event: string;
  readonly job: string | null;
  readonly env: string[];
}

function leaves(expr: EventExpr, out: Leaf[]): Leaf[] {
  if (expr.kind !== "match") {
    leaves(expr.left, out);
    return leaves(expr.right, out);
  }
  let job: string | null = null;
  const env: string[] = [];
  const jobEvent = JOB_EVENTS.has(expr.event);
  for (const [i, arg] of expr.args.entries()) {
    const text = argText(arg);
    // As initctl's GET_JOB_NAME: `JOB=NAME` anywhere, or a first argument without `=`.
    if (jobEvent && job === null) {
      if (text.startsWith("JOB=")) {
        job = text.slice(4);
        continue;
      }
      if (i === 0 && !text.includes("=")) {
        job = text;
        continue;
      }
    }
    env.push(text);
  }
  out.push({ event: expr.event, job, env });
  return out;
}

/**
 * Lists the leaves of an expression left to right, separating the job a job
 * event (`starting started stopping stopped`) names from the other arguments.
 *
 * @param expr the expression
 * @returns one entry per leaf
 *
 * @example Usage
 * ```ts
 * import { enumerateEventExpr } from "./render.ts";
 * enumerateEventExpr({ kind: "match", event: "stopping", args: [{ kind: "positional", value: "wibble" }] });
 * // [{ event: "stopping", job: "wibble", env: [] }]
 * ```
 */
export function enumerateEventExpr(expr: EventExpr): EnumeratedEvent[] {
  return leaves(expr, []).map(({ event, job, env }) => ({ event, job: job ?? "", env }));
}

/** The stanza a condition comes from. */
export type ConditionStanza = "start on" | "stop on";

/**
 * The `initctl show-config -e` lines of one condition, two-space indented:
 * `␣␣start on EVENT (job:[␣NAME], env:[␣ARG…])` per leaf (spec §7.4).
 *
 * @param stanza `"start on"` or `"stop on"`
 * @param expr the condition
 * @returns one line per leaf, without newlines
 *
 * @example
 * ```ts
 * import { parseEventExpr } from "./event_expr.ts";
 * import { renderEnumeratedEventExpr } from "./render.ts";
 * renderEnumeratedEventExpr("start on", parseEventExpr("starting A or B"));
 * // ["  start on starting (job: A, env:)", "  start on B (job:, env:)"]
 * ```
 */
export function renderEnumeratedEventExpr(stanza: ConditionStanza, expr: EventExpr): string[] {
  return leaves(expr, []).map(({ event, job, env }) => {
    const jobText = job === null ? "" : ` ${job}`;
    const envText = env.map((arg) => ` ${arg}`).join("");
    return `  ${stanza} ${event} (job:${jobText}, env:${envText})`;
  });
}

/** Options of `renderShowConfig()`. */
export interface ShowConfigOptions {
  /**
   * List each leaf instead of the expressions (`-e`).
   * @default {false}
   */
  readonly enumerate?: boolean;
}

/**
 * The `initctl show-config` block of one job (spec §7.4): its name, then
 * `␣␣emits EVENT` per entry, then `␣␣start on …` and `␣␣stop on …` when set.
 *
 * @param job the job class (only its name, emits and conditions are used)
 * @param options `enumerate` for the `-e` form
 * @returns the lines, without newlines
 *
 * @example Usage
 * ```ts
 * import { renderShowConfig } from "./render.ts";
 * renderShowConfig({ name: "j", emits: ["boing"], startOn: null, stopOn: null });
 * // ["j", "  emits boing"]
 * ```
 */
export function renderShowConfig(
  job: Pick<JobClassSpec, "name" | "emits" | "startOn" | "stopOn">,
  options: ShowConfigOptions = {},
): string[] {
  const lines = [job.name];
  for (const event of job.emits) lines.push(`  emits ${event}`);
  const conditions: [ConditionStanza, EventExpr | null][] = [
    ["start on", job.startOn],
    ["stop on", job.stopOn],
  ];
  for (const [stanza, expr] of conditions) {
    if (expr === null) continue;
    if (options.enumerate) lines.push(...renderEnumeratedEventExpr(stanza, expr));
    else lines.push(`  ${stanza} ${renderEventExpr(expr)}`);
  }
  return lines;
}
