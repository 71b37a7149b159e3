import assert from "node:assert/strict";
import { parseJobConfig } from "../../parser/parse_job.ts";
import { renderShowConfig } from "../../parser/render.ts";
import { jobClassFields } from "../../parser/fields.ts";
import type { JobClassSpec } from "../../parser/types.ts";
import { dotString, renderDot } from "./dot.ts";
import {
  buildEventGraph,
  type EventGraph,
  graphJobFromConfig,
  parseShowConfigText,
  scriptEmits,
} from "./event_graph.ts";

function config(spec: JobClassSpec) {
  return { ...spec, fields: jobClassFields(spec) };
}

function jobSet(files: Record<string, string>): JobClassSpec[] {
  return Object.entries(files).map(([name, text]) => parseJobConfig(text, { name }));
}

function edgeLines(g: EventGraph): string[] {
  return g.edges.map((e) =>
    `${e.from.kind}:${e.from.name} -${e.kind}${e.label === "" ? "" : `(${e.label})`}-> ` +
    `${e.to.kind}:${e.to.name}`
  );
}

const EXAMPLE = {
  db: "start on filesystem and net-device-up IFACE!=lo\nstop on runlevel [016]\nemits db-ready\n" +
    "exec db\npost-start exec initctl emit --no-wait db-ready\n",
  web:
    "start on started db\nstop on stopping db\nscript\n  web &\n  initctl emit web-up PORT=80\n" +
    "end script\n",
  cache: "start on starting web or stopped JOB=db\n",
};

Deno.test("scriptEmits() finds initctl emit calls and skips options", () => {
  assert.deepEqual(
    scriptEmits("initctl emit a\n/sbin/initctl emit -n b X=1\necho emit c\ninitctl emit a"),
    ["a", "b"],
  );
  assert.deepEqual(scriptEmits("initctl  emit --no-wait --quiet net/up"), ["net/up"]);
  assert.deepEqual(scriptEmits("initctl emitted x; initctl list"), []);
});

Deno.test("buildEventGraph() draws conditions, job events and emits", () => {
  const g = buildEventGraph(jobSet(EXAMPLE).map(config).map(graphJobFromConfig));
  assert.deepEqual(edgeLines(g), [
    "job:db -start on(stopped)-> job:cache",
    "job:db -start on(started)-> job:web",
    "job:db -stop on(stopping)-> job:web",
    "job:db -emits-> event:db-ready",
    "job:web -start on(starting)-> job:cache",
    "job:web -emits(initctl emit)-> event:web-up",
    "event:filesystem -start on-> job:db",
    "event:net-device-up -start on-> job:db",
    "event:runlevel -stop on-> job:db",
  ]);
  assert.deepEqual(
    g.nodes.map((n) => `${n.kind}:${n.name}${n.missing ? "?" : ""}`),
    [
      "job:cache",
      "job:db",
      "job:web",
      "event:db-ready",
      "event:filesystem",
      "event:net-device-up",
      "event:runlevel",
      "event:web-up",
    ],
  );
});

Deno.test("buildEventGraph() marks jobs a condition names that are not in the set", () => {
  const g = buildEventGraph(
    jobSet({ a: "start on started ghost or stopped\n" }).map(config).map(graphJobFromConfig),
  );
  assert.deepEqual(edgeLines(g), [
    "job:ghost -start on(started)-> job:a",
    "event:stopped -start on-> job:a",
  ]);
  assert.equal(g.nodes.find((n) => n.name === "ghost")?.missing, true);
  assert.equal(g.nodes.find((n) => n.name === "a")?.missing, false);
});

Deno.test("buildEventGraph() with only: the conditions and emits of those jobs alone", () => {
  const all = jobSet(EXAMPLE).map(config).map(graphJobFromConfig);
  const g = buildEventGraph(all, { only: ["web"] });
  assert.deepEqual(edgeLines(g), [
    "job:db -start on(started)-> job:web",
    "job:db -stop on(stopping)-> job:web",
    "job:web -emits(initctl emit)-> event:web-up",
  ]);
});

Deno.test("parseShowConfigText() reads show-config -e output back into the same graph", () => {
  const specs = jobSet(EXAMPLE);
  const text = specs.flatMap((s) => renderShowConfig(s, { enumerate: true })).join("\n") + "\n";
  const fromText = buildEventGraph(parseShowConfigText(text));
  // The text carries no scripts: compare without the initctl emit edges.
  const fromConfig = buildEventGraph(
    specs.map(config).map(graphJobFromConfig).map((j) => ({ ...j, scriptEmits: [] })),
  );
  assert.deepEqual(fromText, fromConfig);
  assert.throws(() => parseShowConfigText("job\n  bogus line\n"), /line 2: .*bogus line/);
});

Deno.test("renderDot() writes nodes and coloured edges, quoting names", () => {
  const g = buildEventGraph(
    jobSet({ 'we"b': "start on started db\nemits up\n", db: "" }).map(config).map(
      graphJobFromConfig,
    ),
  );
  assert.equal(
    renderDot(g),
    [
      "digraph daybreak {",
      "  rankdir=LR;",
      '  bgcolor="white";',
      '  node [fontname="Helvetica", fontsize=10];',
      '  edge [fontname="Helvetica", fontsize=9, fontcolor="black"];',
      '  "job:db" [label="db", shape=box, style=filled, fillcolor="#DCDCDC", fontcolor="black"];',
      '  "job:we\\"b" [label="we\\"b", shape=box, style=filled, fillcolor="#DCDCDC", fontcolor="black"];',
      '  "event:up" [label="up", shape=diamond, style=filled, fillcolor="thistle", fontcolor="black"];',
      '  "job:db" -> "job:we\\"b" [label="start on started", color="blue"];',
      '  "job:we\\"b" -> "event:up" [label="emits", color="green", style=dashed];',
      "}",
      "",
    ].join("\n"),
  );
  assert.equal(dotString('a\\b"c\nd'), '"a\\\\b\\"c\\nd"');
});
