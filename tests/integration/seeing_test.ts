/**
 * Seeing the system against the real daemon, through bin/initctl: the event
 * graph (DOT, and SVG through the real Graphviz), the timeline, `status
 * --verbose` with its log lines, and `init --metrics` scraped over loopback
 * and a unix socket. See docs/seeing.md.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { startTestDaemon, waitFor } from "../helpers/test_daemon.ts";
import { xmlProblems } from "../helpers/xml.ts";

const JOBS = {
  "db.conf": "start on go\nemits db-ready\npre-start exec sleep 0.2\n" +
    "exec sh -c 'initctl emit --no-wait db-ready; exec sleep 60'\n",
  "web.conf": "start on started db\nstop on stopping db\nexec sleep 60\n",
  "chatty.conf": "task\nexec sh -c 'i=1; while [ $i -le 15 ]; do echo line $i; i=$((i+1)); done'\n",
};

Deno.test("initctl graph prints the event graph as DOT, and SVG through Graphviz", async () => {
  await using d = await startTestDaemon(JOBS);
  const dot = await d.ok("graph");
  assert.match(dot, /^digraph daybreak \{\n/);
  assert.ok(dot.includes('"event:go" -> "job:db" [label="start on", color="blue"];'), dot);
  assert.ok(dot.includes('"job:db" -> "job:web" [label="start on started", color="blue"];'));
  assert.ok(dot.includes('"job:db" -> "job:web" [label="stop on stopping", color="red"'));
  assert.ok(dot.includes('"job:db" -> "event:db-ready" [label="emits"'));
  const only = await d.ok("graph", "--job", "web");
  assert.ok(!only.includes('"event:go" -> "job:db"'));
  assert.ok(only.includes('"job:db" -> "job:web"'));
  const svg = await d.ok("graph", "--format", "svg");
  assert.match(svg, /<svg /);
  assert.equal(await xmlProblems(svg), "");
  assert.ok(svg.includes("<title>job:web</title>"));
  const bad = await d.initctl("graph", "--job", "nosuch");
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Unknown job: nosuch/);
});

Deno.test("initctl timeline draws recorded state changes and the critical chain", async () => {
  await using d = await startTestDaemon(JOBS);
  await d.ok("emit", "go");
  await d.waitForStatus("web", /start\/running/);
  const text = await d.ok("timeline");
  assert.match(text, /^web @\d+\.\d{3}s \+\d+\.\d{3}s\n└─db @\d+\.\d{3}s \+0\.[2-9]\d\ds\n$/m);
  const json = JSON.parse(await d.ok("timeline", "--json"));
  const changes = json.transitions.filter((t: { job: string }) => t.job === "db")
    .map((t: { from: string; to: string }) => `${t.from}>${t.to}`);
  assert.deepEqual(changes.slice(0, 4), [
    "waiting>starting",
    "starting>security",
    "security>pre-start",
    "pre-start>spawned",
  ]);
  const file = join(d.dir, "timeline.svg");
  assert.equal(await d.ok("timeline", "--svg", file, "-q"), "");
  const svg = await Deno.readTextFile(file);
  assert.equal(await xmlProblems(svg), "");
  assert.match(svg, /<g class="bar" data-job="db" data-instance="">\n<rect class="starting"/);
  assert.match(svg, /<rect class="pre-start" x="[\d.]+" y="\d+" width="(1\d|[2-9]\d|\d{3,})/);
});

Deno.test("status --verbose shows start, respawns, last exit and the log's last lines", async () => {
  await using d = await startTestDaemon(JOBS);
  assert.equal(await d.ok("status", "chatty"), "chatty stop/waiting\n");
  await d.ok("start", "chatty");
  const out = await d.ok("status", "chatty", "--verbose");
  const lines = out.split("\n");
  assert.equal(lines[0], "chatty stop/waiting");
  assert.match(out, /^ +Started: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/m);
  assert.match(out, /^ +Started by: \(by hand\)$/m);
  assert.match(out, /^ +Respawns: 0$/m);
  assert.match(out, /^ +Last exit: main process \(\d+\) exited with status 0 at /m);
  assert.ok(
    out.endsWith(`\n${Array.from({ length: 10 }, (_, i) => `line ${i + 6}`).join("\n")}\n`),
  );
  await d.ok("emit", "go");
  await d.waitForStatus("web", /start\/running/);
  const web = await d.ok("status", "-v", "web");
  assert.match(web, /^web start\/running, process \d+\n/);
  assert.match(web, /^ +Started by: started$/m);
  assert.match(web, /; up \d/);
  const json = JSON.parse(await d.ok("status", "--verbose", "--json", "chatty"));
  assert.equal(json.details.respawns, 0);
  assert.equal(json.log.split("\n").length, 11);
});

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

interface Family {
  name: string;
  metrics: { value: string; labels?: Record<string, string> }[];
}

Deno.test("init --metrics serves GET /metrics on loopback and on a unix socket", async () => {
  const port = freePort();
  {
    await using d = await startTestDaemon(JOBS, { args: ["--metrics", `127.0.0.1:${port}`] });
    await d.ok("emit", "go");
    await d.waitForStatus("web", /start\/running/);
    const families = await waitFor("a scrape", async () => {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      return parsePrometheusTextFormat(await res.text()) as Family[];
    });
    const f = new Map(families.map((x) => [x.name, x]));
    const states = f.get("daybreak_job_state")?.metrics.map((m) =>
      `${m.labels?.job} ${m.labels?.goal}/${m.labels?.state}`
    );
    assert.deepEqual(states, ["chatty stop/waiting", "db start/running", "web start/running"]);
    const rss = f.get("daybreak_job_process_resident_memory_bytes")?.metrics ?? [];
    assert.deepEqual(rss.map((m) => m.labels?.job).sort(), ["db", "web"]);
    for (const m of rss) assert.ok(Number(m.value) > 0);
    assert.ok(Number(f.get("daybreak_events_emitted_total")?.metrics[0]?.value) >= 5);
    assert.ok(
      f.get("daybreak_rpc_requests_total")?.metrics.some((m) =>
        m.labels?.method === "event.emit" && m.labels?.result === "ok" && m.value === "1"
      ),
    );
    const db = f.get("daybreak_job_start_duration_seconds")?.metrics.find((m) =>
      m.labels?.job === "db"
    );
    assert.ok(Number(db?.value) >= 0.2, `db start duration ${db?.value}`);
    assert.equal(
      await fetch(`http://127.0.0.1:${port}/nope`).then(async (r) => {
        await r.body?.cancel();
        return r.status;
      }),
      404,
    );
  }
  const tmp = await Deno.makeTempDir();
  const sock = join(tmp, "metrics.sock");
  try {
    await using _d = await startTestDaemon(JOBS, { args: ["--metrics", sock] });
    const client = Deno.createHttpClient({ proxy: { transport: "unix", path: sock } });
    const text = await waitFor("a unix-socket scrape", async () => {
      const res = await fetch("http://localhost/metrics", { client });
      return res.ok ? await res.text() : null;
    });
    client.close();
    assert.match(text, /^daybreak_uptime_seconds \d/m);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("init rejects a bad --metrics address", async () => {
  await assert.rejects(() => startTestDaemon(JOBS, { args: ["--metrics", "nowhere"] }));
});

Deno.test("init --log-timestamps stamps log lines; initctl log --since/--until filters", async () => {
  await using d = await startTestDaemon(JOBS, { args: ["--log-timestamps"] });
  const before = new Date(Date.now() - 1000).toISOString();
  await d.ok("start", "chatty");
  const log = await Deno.readTextFile(join(d.logDir, "chatty.log"));
  const lines = log.trimEnd().split("\n");
  assert.equal(lines.length, 15);
  for (const [i, line] of lines.entries()) {
    assert.match(
      line,
      new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z line ${i + 1}$`),
    );
  }
  assert.equal(await d.ok("log", "chatty", "--since", before), log);
  assert.equal(
    await d.ok("log", "chatty", "--since", "-1h", "-n", "2"),
    lines.slice(-2).join("\n") + "\n",
  );
  assert.equal(await d.ok("log", "chatty", "--until", before), "");
  assert.equal(await d.ok("log", "chatty", "--since", "now"), "");
  const bad = await d.initctl("log", "chatty", "--since", "whenever");
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /invalid time for --since: whenever/);
  // Without the option, lines stay as the job wrote them.
  await using plain = await startTestDaemon(JOBS);
  await plain.ok("start", "chatty");
  assert.match(await Deno.readTextFile(join(plain.logDir, "chatty.log")), /^line 1\nline 2\n/);
});

Deno.test("initctl2dot writes the daemon's graph, or one from show-config -e output", async () => {
  await using d = await startTestDaemon(JOBS);
  const out = join(d.dir, "upstart.dot");
  const r = await d.run("initctl2dot", "-w", out, "--color-start-on", "purple");
  assert.equal(r.stderr, "");
  assert.equal(r.code, 0);
  const dot = await Deno.readTextFile(out);
  assert.ok(dot.includes('"job:db" -> "job:web" [label="start on started", color="purple"];'));
  assert.ok(dot.includes('"job:db" -> "event:db-ready"'));
  assert.equal(
    dot,
    await d.ok("graph").then((g) => g.replaceAll('color="blue"', 'color="purple"')),
  );

  const text = join(d.dir, "show-config.txt");
  await Deno.writeTextFile(text, await d.ok("show-config", "-e"));
  const fromFile = await d.exec("initctl2dot", ["-f", text, "-o", "-", "-r", "web"], {
    socket: false,
  });
  assert.equal(fromFile.code, 0, fromFile.stderr);
  assert.ok(fromFile.stdout.includes('"job:db" -> "job:web" [label="start on started"'));
  assert.ok(!fromFile.stdout.includes('"event:go"'));
  const help = await d.exec("initctl2dot", ["--help"], { socket: false });
  assert.match(help.stdout, /^Usage: initctl2dot \[OPTION\]\.\.\.\n/);
  assert.match(help.stdout, /--restrict-to-jobs=JOBS/);
  const bad = await d.exec("initctl2dot", ["-f", join(d.dir, "missing")], { socket: false });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^initctl2dot: /);
});
