/**
 * The event graph of a job set, as data: which events and jobs start and stop
 * each job, and which events each job emits (its `emits` stanza and the
 * `initctl emit` calls in its scripts). Pure; `dot.ts` renders it. See
 * docs/seeing.md#the-event-graph.
 *
 * @module
 */

import { type EnumeratedEvent, enumerateEventExpr } from "../../parser/render.ts";
import type { EventExpr } from "../../parser/types.ts";

/** The events every job emits itself (see docs/events.md#job-events). */
export const JOB_EVENTS: ReadonlySet<string> = new Set([
  "starting",
  "started",
  "stopping",
  "stopped",
]);

/** What the graph needs of one job. */
export interface GraphJob {
  readonly name: string;
  readonly emits: readonly string[];
  readonly start: readonly EnumeratedEvent[];
  readonly stop: readonly EnumeratedEvent[];
  /** Events its scripts emit with `initctl emit`. */
  readonly scriptEmits: readonly string[];
}

/** A node: a job, or an event that is not a job event naming a job. */
export interface GraphNode {
  readonly kind: "job" | "event";
  readonly name: string;
  /** A job some condition names that is not in the job set. */
  readonly missing: boolean;
}

/** An edge; `label` is the job event for job-to-job edges. */
export interface GraphEdge {
  readonly from: GraphNode;
  readonly to: GraphNode;
  readonly kind: "start on" | "stop on" | "emits";
  readonly label: string;
}

/** The whole graph, nodes and edges sorted. */
export interface EventGraph {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

/** A job as `job.showConfig` returns it (the part the graph reads). */
export interface ShowConfigJob {
  readonly name: string;
  readonly emits: readonly string[];
  readonly startOn: EventExpr | null;
  readonly stopOn: EventExpr | null;
  readonly fields?: Readonly<Record<string, unknown>>;
}

// `initctl emit [-n|--no-wait] NAME`, as a script writes it.
const INITCTL_EMIT = /\binitctl\s+emit\s+((?:-{1,2}[a-z-]+\s+)*)([A-Za-z0-9_][A-Za-z0-9_.:/-]*)/g;

/**
 * The events a script or command line emits through `initctl emit`.
 *
 * @param text the script or command
 * @returns the event names, in order of appearance, without repeats
 */
export function scriptEmits(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(INITCTL_EMIT)) {
    const name = m[2] as string;
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

/**
 * A `GraphJob` from the daemon's `job.showConfig` entry: conditions
 * enumerated, scripts scanned (from `fields.processes`).
 *
 * @param job the entry
 * @returns the graph's view of it
 */
export function graphJobFromConfig(job: ShowConfigJob): GraphJob {
  const emits: string[] = [];
  const processes = job.fields?.processes;
  if (typeof processes === "object" && processes !== null) {
    for (const p of Object.values(processes)) {
      const command = (p as { command?: unknown }).command;
      if (typeof command !== "string") continue;
      for (const e of scriptEmits(command)) if (!emits.includes(e)) emits.push(e);
    }
  }
  return {
    name: job.name,
    emits: [...job.emits],
    start: job.startOn === null ? [] : enumerateEventExpr(job.startOn),
    stop: job.stopOn === null ? [] : enumerateEventExpr(job.stopOn),
    scriptEmits: emits,
  };
}

const CONDITION = /^ {2}(start on|stop on) (\S+) \(job:(?: (\S*))?, env:(.*)\)$/;

/**
 * Parses `initctl show-config -e` output (what `initctl2dot -f` reads).
 *
 * @param text the output
 * @returns one job per block
 * @throws {SyntaxError} naming the line that is neither a job name nor a known entry
 */
export function parseShowConfigText(text: string): GraphJob[] {
  const jobs: {
    name: string;
    emits: string[];
    start: EnumeratedEvent[];
    stop: EnumeratedEvent[];
  }[] = [];
  for (const [i, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    if (!line.startsWith(" ")) {
      jobs.push({ name: line.trim(), emits: [], start: [], stop: [] });
      continue;
    }
    const job = jobs.at(-1);
    const emits = /^ {2}emits (\S+)$/.exec(line);
    const cond = CONDITION.exec(line);
    if (job === undefined || (emits === null && cond === null)) {
      throw new SyntaxError(`line ${i + 1}: not show-config -e output: ${line.trim()}`);
    }
    if (emits !== null) {
      job.emits.push(emits[1] as string);
      continue;
    }
    const [, stanza, event, jobName, env] = cond as RegExpExecArray;
    const leaf = {
      event: event as string,
      job: jobName ?? "",
      env: (env ?? "").trim() === "" ? [] : (env as string).trim().split(" "),
    };
    (stanza === "start on" ? job.start : job.stop).push(leaf);
  }
  return jobs.map((j) => ({ ...j, scriptEmits: [] }));
}

/** Options of {@linkcode buildEventGraph}. */
export interface GraphOptions {
  /**
   * Draw the conditions and emits of these jobs only (`--job`, initctl2dot's
   * `--restrict-to-jobs`); empty means every job.
   */
  readonly only?: readonly string[];
}

/**
 * Builds the event graph of a job set.
 *
 * A job event naming a job (`started web`) is an edge from that job to the
 * job it starts or stops, labelled with the event; every other event is a
 * node of its own. A job named by a condition but not in the set is drawn
 * as missing.
 *
 * @param jobs the job set
 * @param options restriction
 * @returns the graph, sorted for stable output
 */
export function buildEventGraph(jobs: readonly GraphJob[], options: GraphOptions = {}): EventGraph {
  const names = new Set(jobs.map((j) => j.name));
  const only = new Set(options.only ?? []);
  const nodes = new Map<string, GraphNode>();
  const node = (kind: "job" | "event", name: string): GraphNode => {
    const key = `${kind}:${name}`;
    let n = nodes.get(key);
    if (n === undefined) {
      n = { kind, name, missing: kind === "job" && !names.has(name) };
      nodes.set(key, n);
    }
    return n;
  };
  const edges = new Map<string, GraphEdge>();
  const edge = (from: GraphNode, to: GraphNode, kind: GraphEdge["kind"], label: string) => {
    const key = `${from.kind}:${from.name}\0${to.kind}:${to.name}\0${kind}\0${label}`;
    if (!edges.has(key)) edges.set(key, { from, to, kind, label });
  };
  for (const job of jobs) {
    if (only.size > 0 && !only.has(job.name)) continue;
    const self = node("job", job.name);
    const conditions = [["start on", job.start], ["stop on", job.stop]] as const;
    for (const [kind, leaves] of conditions) {
      for (const leaf of leaves) {
        if (JOB_EVENTS.has(leaf.event) && leaf.job !== "") {
          edge(node("job", leaf.job), self, kind, leaf.event);
        } else {
          edge(node("event", leaf.event), self, kind, "");
        }
      }
    }
    for (const e of job.emits) edge(self, node("event", e), "emits", "");
    for (const e of job.scriptEmits) {
      if (!job.emits.includes(e)) edge(self, node("event", e), "emits", "initctl emit");
    }
  }
  const order = (n: GraphNode) => `${n.kind === "job" ? 0 : 1}${n.name}`;
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    nodes: [...nodes.values()].sort((a, b) => cmp(order(a), order(b))),
    edges: [...edges.values()].sort((a, b) =>
      cmp(
        `${order(a.from)}\0${order(a.to)}\0${a.kind}\0${a.label}`,
        `${order(b.from)}\0${order(b.to)}\0${b.kind}\0${b.label}`,
      )
    ),
  };
}
