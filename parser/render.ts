/**
 * Text forms of event expressions: the canonical rendering of docs/events.md#grammar and
 * the `initctl show-config [-e]` output of docs/tools.md#event-and-config-commands.
 *
 * Every walk here is iterative (an explicit stack), never recursive: a job may
 * `start on` tens of thousands of alternatives, a tree that deep, and no
 * rendering of one job may overflow the daemon's stack (issue 14, item 7).
 *
 * @module
 */

import type { EventExpr, JobClassSpec, MatchArg } from "./types.ts";

/** Job events, whose first argument names a job (see docs/tools.md#event-and-config-commands). */
const JOB_EVENTS: ReadonlySet<string> = new Set(["starting", "started", "stopping", "stopped"]);

/** One argument as stored: a positional value as is, a named one as `K=V` / `K!=V`. */
function argText(arg: MatchArg): string {
  return arg.kind === "positional" ? arg.value : `${arg.name}${arg.op}${arg.value}`;
}

/**
 * Renders an expression canonically (see docs/events.md#grammar): every binary operator as
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
  const out: string[] = [];
  // Pending work, last first: a node still to render, or text to emit as is.
  const stack: (EventExpr | string)[] = [expr];
  while (stack.length > 0) {
    const item = stack.pop() as EventExpr | string;
    if (typeof item === "string") out.push(item);
    else if (item.kind === "match") out.push(leafText(item));
    else stack.push(")", item.right, ` ${item.kind} `, item.left, "(");
  }
  return out.join("");
}

function leafText(leaf: Extract<EventExpr, { kind: "match" }>): string {
  let out = leaf.event;
  for (const arg of leaf.args) out += " " + argText(arg);
  return out;
}

/**
 * The depth of an expression: 1 for a lone event, one more per operator level.
 *
 * @example
 * ```ts
 * import { exprDepth } from "./render.ts";
 * import { parseEventExpr } from "./event_expr.ts";
 * exprDepth(parseEventExpr("a or b or c")); // 3
 * ```
 */
export function exprDepth(expr: EventExpr): number {
  let deepest = 0;
  const stack: [EventExpr, number][] = [[expr, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [EventExpr, number];
    if (depth > deepest) deepest = depth;
    if (node.kind !== "match") stack.push([node.right, depth + 1], [node.left, depth + 1]);
  }
  return deepest;
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

/** The leaves of an expression, left to right. */
function leaves(root: EventExpr, out: Leaf[]): Leaf[] {
  const stack: EventExpr[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as EventExpr;
    if (node.kind === "match") out.push(leaf(node));
    else stack.push(node.right, node.left);
  }
  return out;
}

function leaf(expr: Extract<EventExpr, { kind: "match" }>): Leaf {
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
  return { event: expr.event, job, env };
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
 * `␣␣start on EVENT (job:[␣NAME], env:[␣ARG…])` per leaf (see
 * docs/tools.md#event-and-config-commands).
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
  return renderLeaves(stanza, leaves(expr, []));
}

/**
 * A leaf as `show-config -e` needs it: `job` is `null` when the event names no job (shown
 * as `job:`), `""` when it names the empty one (`job: `).
 */
export interface ConditionLeaf {
  readonly event: string;
  readonly job: string | null;
  readonly env: readonly string[];
}

/**
 * The leaves of a condition with the job a job event names kept apart, `null` when none:
 * the flat form the daemon sends instead of a deep tree.
 *
 * @example
 * ```ts
 * import { parseEventExpr } from "./event_expr.ts";
 * import { conditionLeaves } from "./render.ts";
 * conditionLeaves(parseEventExpr("starting A or B"));
 * // [{ event: "starting", job: "A", env: [] }, { event: "B", job: null, env: [] }]
 * ```
 */
export function conditionLeaves(expr: EventExpr): ConditionLeaf[] {
  return leaves(expr, []);
}

/** The `show-config -e` lines of a condition's leaves. */
export function renderLeaves(stanza: ConditionStanza, list: readonly ConditionLeaf[]): string[] {
  return list.map(({ event, job, env }) => {
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
 * The `initctl show-config` block of one job (see docs/tools.md#event-and-config-commands): its
 * name, then `␣␣emits EVENT` per entry, then `␣␣start on …` and `␣␣stop on …` when set.
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
