/**
 * Renders the peer benchmark as markdown: for each N, a table of medians with
 * min–max per manager, then the ratio of daybreak's median to every peer's and
 * to the floor's, then what each figure counts. Writes `docs/benchmarks.md`.
 *
 * @module
 */

import type { ManagerNotes } from "./manager.ts";
import { type Metric, METRICS } from "./session.ts";
import { summarize } from "./stats.ts";
import { evaluateFdTarget, evaluateTargets, renderTargets, TARGET_N } from "./targets.ts";

/** The name of the manager every ratio is taken against. */
export const SUBJECT = "daybreak";

/** Column headings, in `METRICS` order. */
export const METRIC_LABELS: Readonly<Record<Metric, string>> = {
  "cold-status": "cold start: status shows N running (ms)",
  "cold-procs": "cold start: N processes exist (ms)",
  pss: "manager PSS (MiB)",
  fds: "manager fds per service",
  list: "list (ms)",
  restart: "restart one (ms)",
  "respawn-procs": "respawn after kill -9: new pid (ms)",
  "respawn-status": "respawn after kill -9: reported (ms)",
  stop: "stop all (ms)",
};

/** Everything measured for one manager, samples pooled over the rounds. */
export interface ManagerRecord {
  readonly name: string;
  readonly version: string | null;
  readonly notes: ManagerNotes;
  /** N → metric → samples (ms; KiB for `pss`). */
  readonly samples: Map<number, Partial<Record<Metric, number[]>>>;
  /** N → the process sets the PSS figures counted. */
  readonly scopes: Map<number, Set<string>>;
}

/** A session that did not complete. */
export interface Failure {
  readonly manager: string;
  readonly n: number;
  readonly round: number;
  readonly message: string;
}

/** A whole benchmark run. */
export interface BenchReport {
  readonly generatedAt: Date;
  /** The command line that produced it. */
  readonly command: string;
  readonly mode: "quick" | "full";
  readonly rounds: number;
  readonly ns: readonly number[];
  /** How many samples each session takes, in words. */
  readonly sampling: string;
  /** Label → value pairs describing the machine. */
  readonly machine: readonly (readonly [string, string])[];
  readonly managers: readonly ManagerRecord[];
  readonly unavailable: readonly { readonly name: string; readonly reason: string }[];
  readonly failures: readonly Failure[];
  /** Wall-clock samples of a bare `deno run` (the `initctl list` target's reference), ms. */
  readonly bareDeno?: readonly number[];
}

function formatValue(metric: Metric, v: number): string {
  if (metric === "pss") return (v / 1024).toFixed(1);
  if (metric === "fds") return v.toFixed(2);
  return v < 10 ? v.toFixed(1) : String(Math.round(v));
}

/** One table cell: `median (min–max)`, the median alone for one sample, `–` for none. */
export function formatCell(metric: Metric, samples: readonly number[] | undefined): string {
  if (samples === undefined || samples.length === 0) return "–";
  const s = summarize(samples);
  const med = formatValue(metric, s.median);
  if (s.count === 1) return med;
  return `${med} (${formatValue(metric, s.min)}–${formatValue(metric, s.max)})`;
}

/** `a`'s median over `b`'s, as `1.23×`; `–` when either side has no sample or `b` is 0. */
export function formatRatio(
  a: readonly number[] | undefined,
  b: readonly number[] | undefined,
): string {
  if (a === undefined || b === undefined || a.length === 0 || b.length === 0) return "–";
  const den = summarize(b).median;
  if (den === 0) return "–";
  const r = summarize(a).median / den;
  return `${r < 10 ? r.toFixed(2) : r.toFixed(1)}×`;
}

function row(cells: readonly string[]): string {
  return `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [row(head), row(head.map(() => "---")), ...rows.map(row)];
}

function resultTable(report: BenchReport, n: number): string[] {
  const head = ["manager", ...METRICS.map((m) => METRIC_LABELS[m]), "PSS counts"];
  const rows = report.managers
    .filter((m) => m.samples.has(n))
    .map((m) => {
      const s = m.samples.get(n)!;
      const scope = [...(m.scopes.get(n) ?? [])].join("; ") || "–";
      return [m.name, ...METRICS.map((metric) => formatCell(metric, s[metric])), scope];
    });
  return table(head, rows);
}

function ratioLines(report: BenchReport, n: number): string[] {
  const subject = report.managers.find((m) => m.name === SUBJECT)?.samples.get(n);
  if (subject === undefined) {
    const why = report.unavailable.find((u) => u.name === SUBJECT)?.reason;
    if (why !== undefined) return [`${SUBJECT}: not available (${why})`, "", "No ratios."];
    return [`${SUBJECT}: no result in this run; no ratios.`];
  }
  const rows = report.managers
    .filter((m) => m.name !== SUBJECT && m.samples.has(n))
    .map((m) => {
      const peer = m.samples.get(n)!;
      return [
        `${SUBJECT} / ${m.name}`,
        ...METRICS.map((metric) => formatRatio(subject[metric], peer[metric])),
      ];
    });
  return table(["ratio of medians", ...METRICS.map((m) => METRIC_LABELS[m])], rows);
}

/** The result tables, ratio tables and notes (printed by the bench, embedded in the document). */
export function renderTables(report: BenchReport): string {
  const out: string[] = [];
  for (const n of report.ns) {
    out.push(`### N = ${n}`, "", ...resultTable(report, n), "");
    out.push(
      `#### ${SUBJECT} / each peer, N = ${n} (below 1× means ${SUBJECT} is faster or smaller)`,
    );
    out.push("", ...ratioLines(report, n), "");
  }
  for (const u of report.unavailable) {
    if (u.name !== SUBJECT) out.push(`${u.name}: not available (${u.reason})`, "");
  }
  if (report.failures.length > 0) {
    out.push("Sessions that did not complete (their other samples are kept):", "");
    for (const f of report.failures) {
      out.push(`- ${f.manager}, N = ${f.n}, round ${f.round}: ${f.message}`);
    }
    out.push("");
  }
  return out.join("\n");
}

function managerNotes(report: BenchReport): string[] {
  const out: string[] = [];
  for (const m of report.managers) {
    const v = m.version === null ? "" : ` ${m.version}`;
    const parts = [
      `start ${m.notes.start}`,
      m.notes.list === undefined ? "no status command" : `list ${m.notes.list}`,
      ...(m.notes.restart === undefined ? [] : [`restart ${m.notes.restart}`]),
      `stop: ${m.notes.stop}`,
      ...(m.notes.other === undefined ? [] : [m.notes.other]),
    ];
    out.push(`- **${m.name}**${v}: ${parts.join("; ")}.`);
  }
  return out;
}

/** The "Targets" section: the issue's targets for daybreak, met or missed (empty without it). */
export function renderTargetSection(report: BenchReport): string[] {
  if (!report.managers.some((m) => m.name === SUBJECT)) return [];
  const bare = report.bareDeno ?? [];
  return [
    "## Targets",
    "",
    `The issue's targets for ${SUBJECT}, at N = ${TARGET_N} (medians). A bare \`deno run\` ` +
    `of a one-line script took ${
      bare.length === 0 ? "–" : `${summarize(bare).median.toFixed(0)} ms`
    } (median of ${bare.length}).`,
    "",
    ...renderTargets([...evaluateTargets(report, bare), evaluateFdTarget(report)]),
    "",
  ];
}

/** The whole `docs/benchmarks.md`. */
export function renderDocument(report: BenchReport): string {
  const lines = [
    "# Benchmarks: daybreak and its peers",
    "",
    `Generated by \`${report.command}\` on ${report.generatedAt.toISOString()}` +
    ` (${report.mode} mode: ${report.rounds} round(s), N = ${report.ns.join(", ")}; ` +
    `${report.sampling}). Do not edit by hand: rerun the benchmark.`,
    "",
    "## Machine",
    "",
    ...report.machine.map(([k, v]) => `- ${k}: ${v}`),
    "",
    ...loadNote(report),
    "## Method",
    "",
    "Every manager runs the same N services (`sleep 100000`) in a scratch directory with a",
    "private socket; the bench is a child subreaper and finds the services by ancestry.",
    "Managers are interleaved (the order rotates every round); each figure is the median of",
    "every sample over all rounds, with min–max in parentheses. Times are wall-clock",
    "milliseconds from the start of the action. Cold start runs from the manager's launch",
    "until its status command reports all N running, and until all N processes exist.",
    "PSS is the sum of `Pss` from `/proc/PID/smaps_rollup` over the manager's own processes",
    "(not the services), one sample per session. List is one whole status-command process.",
    "Restart and respawn use a different, long-running service each sample. Stop runs until",
    "no service process is left. The process table is polled every 2 ms or more (the pause",
    "is at least the last poll's duration), status commands every 5 ms after they return.",
    "Descriptors per service are every open fd of the manager's own processes, divided by N.",
    "",
    "## Results",
    "",
    renderTables(report),
    ...renderTargetSection(report),
    "## What each manager ran",
    "",
    ...managerNotes(report),
    "",
  ];
  return lines.join("\n");
}

/** A warning when the machine was busier than its CPUs at the start of the run. */
function loadNote(report: BenchReport): string[] {
  const get = (prefix: string) => report.machine.find(([k]) => k.startsWith(prefix))?.[1] ?? "";
  const load = Number(get("Load average").split(" ")[0]);
  const cpus = Number(/(\d+) logical CPU/.exec(get("CPU"))?.[1]);
  if (!(load > cpus)) return [];
  return [
    `The machine was shared and busy (load ${load} on ${cpus} CPUs at the start): absolute ` +
    "times are inflated and vary from session to session; compare the ratios within this run.",
    "",
  ];
}

/** Writes the document, creating its directory when needed. */
export async function writeDocument(path: string, text: string): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf("/"));
  if (dir !== "") await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(path, text);
}
