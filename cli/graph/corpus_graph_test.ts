/**
 * The event graph of the corpus of real job files (`../shared/corpus`
 * beside the checkout), rendered by the real Graphviz and checked as XML by
 * xmllint. Skipped, with the reason in the test name,
 * when the corpus is absent.
 */
import assert from "node:assert/strict";
import { parseJobConfig } from "../../parser/parse_job.ts";
import { enumerateEventExpr } from "../../parser/render.ts";
import { jobClassFields } from "../../parser/fields.ts";
import type { JobClassSpec } from "../../parser/types.ts";
import { renderDot } from "./dot.ts";
import { buildEventGraph, graphJobFromConfig, JOB_EVENTS } from "./event_graph.ts";
import { dotToSvg } from "./graphviz.ts";
import { xmlProblems } from "../../tests/helpers/xml.ts";

const CANDIDATES = ["../../../shared/corpus/", "../../../../shared/corpus/"];

function corpusDir(): string | null {
  for (const c of CANDIDATES) {
    const path = new URL(c, import.meta.url).pathname;
    try {
      if (Deno.statSync(path).isDirectory) return path;
    } catch { /* try the next */ }
  }
  return null;
}

function confFiles(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir + rel)) {
    if (e.isDirectory) out.push(...confFiles(dir, `${rel}${e.name}/`));
    else if (e.name.endsWith(".conf")) out.push(`${rel}${e.name}`);
  }
  return out.sort();
}

const dir = corpusDir();

Deno.test({
  name: dir === null
    ? "event graph of the corpus (SKIPPED: no shared/corpus beside the checkout)"
    : "event graph of the corpus: every condition is an edge; dot renders valid SVG",
  ignore: dir === null,
  fn: async () => {
    const files = confFiles(dir as string);
    assert.ok(files.length >= 40, `only ${files.length} corpus files`);
    const specs: JobClassSpec[] = files.map((f) =>
      parseJobConfig(Deno.readTextFileSync(dir + f), { name: f.slice(0, -5) })
    );
    const g = buildEventGraph(
      specs.map((s) => graphJobFromConfig({ ...s, fields: jobClassFields(s) })),
    );
    for (const s of specs) {
      for (const [kind, expr] of [["start on", s.startOn], ["stop on", s.stopOn]] as const) {
        for (const leaf of expr === null ? [] : enumerateEventExpr(expr)) {
          const byJob = JOB_EVENTS.has(leaf.event) && leaf.job !== "";
          const found = g.edges.some((e) =>
            e.to.name === s.name && e.kind === kind &&
            (byJob
              ? e.from.kind === "job" && e.from.name === leaf.job && e.label === leaf.event
              : e.from.kind === "event" && e.from.name === leaf.event)
          );
          assert.ok(found, `${s.name}: ${kind} ${leaf.event} ${leaf.job} has no edge`);
        }
      }
      for (const e of s.emits) {
        assert.ok(g.edges.some((x) => x.from.name === s.name && x.to.name === e), `${s.name} ${e}`);
      }
    }
    const svg = await dotToSvg(renderDot(g));
    assert.equal(await xmlProblems(svg), "");
    // Graphviz writes `-` as a character reference in titles.
    const title = (name: string) => `<title>job:${name.replaceAll("-", "&#45;")}</title>`;
    for (const s of specs) assert.ok(svg.includes(title(s.name)), s.name);
  },
});
