import assert from "node:assert/strict";
import {
  type BenchReport,
  formatCell,
  formatRatio,
  type ManagerRecord,
  renderDocument,
  renderTables,
  writeDocument,
} from "./report.ts";

function record(name: string, ms: number, pssKiB: number): ManagerRecord {
  return {
    name,
    version: "1.0",
    notes: { start: "`start`", list: "`list`", stop: "SIGTERM" },
    samples: new Map([[100, {
      "cold-procs": [ms, ms * 2, ms * 3],
      pss: [pssKiB],
      list: [ms / 10, ms / 5],
    }]]),
    scopes: new Map([[100, new Set([`${name}d`])]]),
  };
}

function report(managers: ManagerRecord[], unavailable: BenchReport["unavailable"] = []) {
  return {
    generatedAt: new Date("2025-01-02T03:04:05Z"),
    command: "deno task bench:peers",
    mode: "full",
    rounds: 3,
    ns: [100],
    sampling: "per session: list ×20",
    machine: [["CPU", "test cpu"]],
    managers,
    unavailable,
    failures: [{ manager: "s6", n: 100, round: 2, message: "Cannot complete list: boom" }],
  } satisfies BenchReport;
}

Deno.test("formatCell() shows median (min–max), the value alone for one sample, – for none", () => {
  assert.equal(formatCell("restart", [30, 10, 20]), "20 (10–30)");
  assert.equal(formatCell("list", [2.25, 4.5]), "3.4 (2.3–4.5)");
  assert.equal(formatCell("pss", [2048]), "2.0");
  assert.equal(formatCell("stop", undefined), "–");
});

Deno.test("formatRatio() divides medians", () => {
  assert.equal(formatRatio([10, 30], [10]), "2.00×");
  assert.equal(formatRatio([1], [40]), "0.03×");
  assert.equal(formatRatio([500], [10]), "50.0×");
  assert.equal(formatRatio(undefined, [10]), "–");
  assert.equal(formatRatio([1], [0]), "–");
});

Deno.test("renderTables() has a row per manager and a ratio row per peer", () => {
  const text = renderTables(report([record("daybreak", 100, 4096), record("runit", 50, 1024)]));
  assert.match(text, /^### N = 100$/m);
  assert.match(text, /^\| daybreak \| – \| 200 \(100–300\) \| 4\.0 \| 15 \(10–20\) \|/m);
  assert.match(text, /^\| runit \| – \| 100 \(50–150\) \| 1\.0 \|/m);
  assert.match(text, /^\| daybreak \/ runit \| – \| 2\.00× \| 4\.00× \| 2\.00× \|/m);
  assert.match(text, /^- s6, N = 100, round 2: Cannot complete list: boom$/m);
});

Deno.test("renderTables() says daybreak is not available instead of ratios", () => {
  const text = renderTables(
    report([record("runit", 50, 1024)], [{ name: "daybreak", reason: "bin/init missing" }]),
  );
  assert.match(text, /^daybreak: not available \(bin\/init missing\)$/m);
  assert.doesNotMatch(text, /daybreak \/ runit/);
  assert.equal(text.match(/daybreak: not available/g)?.length, 1);
});

Deno.test("renderDocument() describes the machine and each manager", () => {
  const doc = renderDocument(report([record("runit", 50, 1024)]));
  assert.match(doc, /^# Benchmarks: daybreak and its peers$/m);
  assert.match(doc, /^- CPU: test cpu$/m);
  assert.match(doc, /2025-01-02T03:04:05\.000Z/);
  assert.match(doc, /^- \*\*runit\*\* 1\.0: start `start`; list `list`; stop: SIGTERM\.$/m);
});

Deno.test("writeDocument() creates the directory and writes the text", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeDocument(`${dir}/docs/benchmarks.md`, "# x\n");
    assert.equal(await Deno.readTextFile(`${dir}/docs/benchmarks.md`), "# x\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
