import assert from "node:assert/strict";
import { xmlProblems } from "../../tests/helpers/xml.ts";
import { type Bar, buildBars, criticalChain, formatCriticalChain } from "./bars.ts";
import { renderTimelineSvg, xmlEscape } from "./svg.ts";

const T = (t: number, job: string, from: string, to: string, cause: string | null = null) => ({
  seq: t,
  t,
  job,
  instance: job === "w<&>" ? "q'1\"" : "",
  from,
  to,
  goal: "start" as const,
  cause,
});

// Monotonic times start at 5000: the daemon's origin.
const TRANSITIONS = [
  T(5000, "db", "waiting", "starting"),
  T(5000, "db", "starting", "pre-start"),
  T(5500, "db", "pre-start", "spawned"),
  T(5500, "db", "spawned", "running"),
  T(5500, "w<&>", "waiting", "starting"),
  T(5500, "w<&>", "starting", "pre-start", "db"),
  T(6000, "w<&>", "pre-start", "spawned"),
  T(6000, "w<&>", "spawned", "post-start"),
  T(6250, "w<&>", "post-start", "running"),
  T(7000, "db", "running", "stopping"),
  T(7000, "db", "stopping", "killed"),
  T(7100, "db", "killed", "post-stop"),
  T(7100, "db", "post-stop", "waiting"),
];

Deno.test("buildBars() turns transitions into segments since the origin", () => {
  const bars = buildBars(TRANSITIONS, 5000, 8000);
  const show = (b: Bar) =>
    `${b.job} ${b.open ? "open" : "done"} ` +
    b.segments.map((s) => `${s.kind}:${s.start}-${s.end}`).join(" ");
  assert.deepEqual(bars.map(show), [
    "db done starting:0-0 pre-start:0-500 spawned:500-500 running:500-2000 stopping:2000-2100 " +
    "post-stop:2100-2100",
    "w<&> open starting:500-500 pre-start:500-1000 spawned:1000-1000 post-start:1000-1250 " +
    "running:1250-3000",
  ]);
  assert.deepEqual(criticalChain(bars), [
    { job: "w<&>", instance: "q'1\"", readyAt: 1250, took: 750 },
    { job: "db", instance: "", readyAt: 500, took: 500 },
  ]);
  assert.equal(
    formatCriticalChain(criticalChain(bars)),
    'The time when the instance was running is printed after "@", the time it took to start ' +
      'after "+".\n\nw<&> (q\'1") @1.250s +0.750s\n└─db @0.500s +0.500s\n',
  );
  assert.equal(formatCriticalChain([]), "No job instance has reached running yet.\n");
});

Deno.test("renderTimelineSvg() draws one row per bar, one rect per segment; valid XML", async () => {
  const bars = buildBars(TRANSITIONS, 5000, 8000);
  const svg = renderTimelineSvg(bars, 3000, "boot & <session>", {
    pxPerSecond: 100,
    rowHeight: 20,
  });
  assert.equal(await xmlProblems(svg), "");
  // 100 px per second from x=20: running of db is 500 ms..2000 ms.
  assert.match(svg, /<rect class="running" x="70" y="52" width="150" height="16" fill="#8abeb7">/);
  assert.match(svg, /<rect class="post-start" x="120" y="72" width="25" height="16"/);
  assert.equal(svg.match(/<g class="bar"/g)?.length, 2);
  assert.equal(
    svg.match(/<rect class="[a-z-]+" /g)?.length,
    bars.reduce((n, b) => n + b.segments.length, 0),
  );
  assert.ok(svg.includes('data-instance="q&apos;1&quot;"'));
  assert.ok(svg.includes("<title>boot &amp; &lt;session&gt;</title>"));
  assert.equal(xmlEscape("a\u0001b"), "ab");
});
