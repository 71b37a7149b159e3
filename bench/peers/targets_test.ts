import assert from "node:assert/strict";
import type { BenchReport, ManagerRecord } from "./report.ts";
import type { Metric } from "./session.ts";
import { evaluateTargets, renderTargets } from "./targets.ts";

type Samples = Partial<Record<Metric, number[]>>;

function record(name: string, byN: [number, Samples][]): ManagerRecord {
  return {
    name,
    version: null,
    notes: { start: "`start`", stop: "SIGTERM" },
    samples: new Map(byN),
    scopes: new Map(),
  };
}

function report(managers: ManagerRecord[]): BenchReport {
  return {
    generatedAt: new Date("2025-01-02T03:04:05Z"),
    command: "deno task bench:peers",
    mode: "full",
    rounds: 1,
    ns: [100, 500],
    sampling: "",
    machine: [],
    managers,
    unavailable: [],
    failures: [],
  };
}

const FLOOR = record("floor (C)", [[500, { "cold-procs": [100], stop: [40] }]]);

Deno.test("evaluateTargets() marks each target met or missed with its margin", () => {
  const daybreak = record("daybreak", [
    [100, { pss: [40_000] }],
    [500, {
      "cold-status": [140, 150, 160], // limit 150
      pss: [44_000], // 45.1 MB; (44000 − 40000) / 400 = 10 KiB = 10.24 kB per job
      list: [45], // limit 2 × 20
      restart: [20],
      "respawn-procs": [12],
      stop: [100], // limit 120
    }],
  ]);
  const results = evaluateTargets(report([daybreak, FLOOR]), [20, 19, 21]);
  assert.deepEqual(results.map((r) => r.met), [true, false, false, true, false, true]);
  assert.equal(results[0]!.margin, "0.0 ms to spare");
  assert.match(results[1]!.measured, /^45\.1 MB; 10\.2 kB per job/);
  assert.match(results[1]!.margin, /total: .* to spare; per job: 0\.2 kB over/);
  assert.equal(results[2]!.margin, "5.0 ms over (1.1× the limit)");
  assert.match(results[5]!.goal, /≤ 120 ms/);
});

Deno.test("evaluateTargets() says what a run did not measure", () => {
  const results = evaluateTargets(report([record("daybreak", [[500, { restart: [30] }]])]), []);
  assert.equal(results[0]!.met, null); // no floor
  assert.equal(results[0]!.margin, "not measured");
  assert.equal(results[2]!.met, null); // no bare deno reference
  assert.equal(results[3]!.met, false);
  const text = renderTargets(results).join("\n");
  assert.match(
    text,
    /\| restart one job, CLI included \| ≤ 25 ms \| 30 ms \| missed: 5\.0 ms over/,
  );
  assert.match(text, /not measured/);
});
