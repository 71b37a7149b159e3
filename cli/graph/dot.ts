/**
 * Renders an event graph as Graphviz DOT (jobs as boxes, events as
 * diamonds; `start on` edges blue, `stop on` red, `emits` green, as
 * Upstart's initctl2dot draws them). Pure. See docs/seeing.md#the-event-graph.
 *
 * @module
 */

import type { EventGraph, GraphNode } from "./event_graph.ts";

/** The colours initctl2dot lets one choose (`--color-…`). */
export interface DotColors {
  readonly emits: string;
  readonly startOn: string;
  readonly stopOn: string;
  readonly event: string;
  readonly eventText: string;
  readonly job: string;
  readonly jobText: string;
  readonly text: string;
  readonly bg: string;
}

/** initctl2dot's defaults. */
export const DEFAULT_COLORS: DotColors = {
  emits: "green",
  startOn: "blue",
  stopOn: "red",
  event: "thistle",
  eventText: "black",
  job: "#DCDCDC",
  jobText: "black",
  text: "black",
  bg: "white",
};

/**
 * A DOT double-quoted string.
 *
 * @param text any text
 * @returns the quoted ID
 */
export function dotString(text: string): string {
  return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`;
}

function id(n: GraphNode): string {
  return dotString(`${n.kind}:${n.name}`);
}

/**
 * The DOT text of a graph.
 *
 * @param graph the graph
 * @param colors the colours
 * @returns the text, ending in a newline
 */
export function renderDot(graph: EventGraph, colors: DotColors = DEFAULT_COLORS): string {
  const q = dotString;
  const lines = [
    "digraph daybreak {",
    "  rankdir=LR;",
    `  bgcolor=${q(colors.bg)};`,
    `  node [fontname="Helvetica", fontsize=10];`,
    `  edge [fontname="Helvetica", fontsize=9, fontcolor=${q(colors.text)}];`,
  ];
  for (const n of graph.nodes) {
    const attrs = n.kind === "job"
      ? [
        "shape=box",
        "style=filled",
        `fillcolor=${q(colors.job)}`,
        `fontcolor=${q(colors.jobText)}`,
        ...(n.missing ? ['style="filled,dashed"', `tooltip=${q("not in the job set")}`] : []),
      ]
      : [
        "shape=diamond",
        "style=filled",
        `fillcolor=${q(colors.event)}`,
        `fontcolor=${q(colors.eventText)}`,
      ];
    lines.push(`  ${id(n)} [label=${q(n.name)}, ${attrs.join(", ")}];`);
  }
  for (const e of graph.edges) {
    const color = e.kind === "emits"
      ? colors.emits
      : e.kind === "start on"
      ? colors.startOn
      : colors.stopOn;
    const label = e.label === "" ? e.kind : `${e.kind} ${e.label}`;
    const style = e.kind === "emits" || e.kind === "stop on" ? ", style=dashed" : "";
    lines.push(`  ${id(e.from)} -> ${id(e.to)} [label=${q(label)}, color=${q(color)}${style}];`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
