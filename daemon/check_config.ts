/**
 * `initctl check-config` (see docs/tools.md#event-and-config-commands): a static check that every
 * event a job's `start on`/`stop on` waits for can happen — some job `emits` it
 * (glob-matched), init emits it itself, or the caller said to ignore it — and
 * that every job named by a job event exists. Pure.
 *
 * @module
 */

import { fnmatch } from "../parser/fnmatch.ts";
import type { EventExpr, JobClassSpec } from "../parser/types.ts";

/** Events init itself emits (see docs/events.md#init-events), known to every check. */
export const INIT_EVENTS: readonly string[] = [
  "startup",
  "starting",
  "started",
  "stopping",
  "stopped",
  "control-alt-delete",
  "keyboard-request",
  "power-status-changed",
  "session-end",
  "child-subreaper-failed",
];

const JOB_EVENTS = new Set(["starting", "started", "stopping", "stopped"]);

/** Options of {@linkcode checkConfig}. */
export interface CheckConfigOptions {
  /** Events to treat as known (`--ignore-events`). */
  readonly ignoreEvents?: readonly string[];
  /** `--warn`: every leaf must be known, even on `or` branches where another is. */
  readonly warn?: boolean;
}

/** Problems of one job, as unindented lines (`start on: unknown event X`). */
export interface JobProblems {
  readonly job: string;
  readonly problems: string[];
}

/**
 * Checks every job in `jobs` (or only `only`) against all of `jobs`.
 *
 * @returns jobs with problems only, in the order given
 */
export function checkConfig(
  jobs: readonly JobClassSpec[],
  options: CheckConfigOptions = {},
  only?: string,
): JobProblems[] {
  const names = new Set(jobs.map((j) => j.name));
  const emits = jobs.flatMap((j) => j.emits);
  const ignored = new Set([...INIT_EVENTS, ...(options.ignoreEvents ?? [])]);
  const eventKnown = (name: string) =>
    ignored.has(name) || name.endsWith("/failed") && ignored.has(name.slice(0, -7)) ||
    emits.some((pattern) => fnmatch(pattern, name));
  const out: JobProblems[] = [];
  for (const job of jobs) {
    if (only !== undefined && job.name !== only) continue;
    const problems: string[] = [];
    for (const [stanza, expr] of [["start on", job.startOn], ["stop on", job.stopOn]] as const) {
      if (expr === null) continue;
      const found = problemsOf(expr, { eventKnown, names, warn: options.warn ?? false });
      for (const p of found) problems.push(`${stanza}: ${p}`);
    }
    if (problems.length > 0) out.push({ job: job.name, problems });
  }
  return out;
}

interface Ctx {
  eventKnown(name: string): boolean;
  names: ReadonlySet<string>;
  warn: boolean;
}

/**
 * The problems of one condition, leaves left to right. Without `warn`, an `or` with one clean
 * side has none. Two iterative passes (no recursion: a condition may be tens of thousands of
 * levels deep): which subtrees are clean, then the problems of the leaves not pruned away.
 */
function problemsOf(expr: EventExpr, ctx: Ctx): string[] {
  const leafOf = new Map<EventExpr, string[]>();
  const clean = new Map<EventExpr, boolean>();
  const pruned = new Set<EventExpr>();
  const stack: [EventExpr, boolean][] = [[expr, false]];
  while (stack.length > 0) {
    const [node, visited] = stack.pop() as [EventExpr, boolean];
    if (node.kind === "match") {
      const problems = leafProblems(node, ctx);
      leafOf.set(node, problems);
      clean.set(node, problems.length === 0);
    } else if (!visited) {
      stack.push([node, true], [node.right, false], [node.left, false]);
    } else {
      const l = clean.get(node.left) === true;
      const r = clean.get(node.right) === true;
      const prune = node.kind === "or" && !ctx.warn && (l || r);
      if (prune) pruned.add(node);
      clean.set(node, prune || (l && r));
    }
  }
  const out: string[] = [];
  const walk: EventExpr[] = [expr];
  while (walk.length > 0) {
    const node = walk.pop() as EventExpr;
    if (pruned.has(node)) continue;
    if (node.kind === "match") { for (const p of leafOf.get(node) ?? []) out.push(p); }
    else walk.push(node.right, node.left);
  }
  return out;
}

function leafProblems(leaf: Extract<EventExpr, { kind: "match" }>, ctx: Ctx): string[] {
  if (!JOB_EVENTS.has(leaf.event)) {
    return ctx.eventKnown(leaf.event) ? [] : [`unknown event ${leaf.event}`];
  }
  const first = leaf.args.find((a) => a.kind === "positional" || a.name === "JOB");
  if (first === undefined) return [];
  const job = first.value;
  if (job.startsWith("$") || ctx.names.has(job)) return [];
  return [`unknown job ${job}`];
}
