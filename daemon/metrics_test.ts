import assert from "node:assert/strict";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { Engine } from "./engine/engine.ts";
import { parseJobConfig } from "../parser/parse_job.ts";
import { escapeLabel, type MetricsSnapshot, renderMetrics } from "./metrics.ts";
import { metricsHandler, parseMetricsAddress, procSample, takeSnapshot } from "./metrics_server.ts";
import { Observed } from "./observe.ts";

interface Family {
  name: string;
  type: string;
  metrics: { value: string; labels?: Record<string, string> }[];
}

function parse(text: string): Map<string, Family> {
  const families = parsePrometheusTextFormat(text) as Family[];
  return new Map(families.map((f) => [f.name, f]));
}

const SNAPSHOT: MetricsSnapshot = {
  uptimeSeconds: 12.5,
  eventsEmitted: 7,
  rpc: [
    { method: "job.start", result: "ok", count: 3 },
    { method: "job.start", result: "UnknownJob", count: 1 },
  ],
  instances: [
    {
      job: "web",
      instance: "",
      goal: "start",
      state: "running",
      respawns: 2,
      lastExitStatus: 137,
      startDurationSeconds: 0.25,
      processes: [{ process: "main", pid: 42, rssBytes: 4096, cpuSeconds: 1.5 }],
    },
    {
      job: 'odd "name"\\x',
      instance: "a\nb",
      goal: "stop",
      state: "waiting",
      respawns: 0,
      lastExitStatus: null,
      startDurationSeconds: null,
      processes: [],
    },
  ],
};

Deno.test("renderMetrics() output parses as the Prometheus text format", () => {
  const f = parse(renderMetrics(SNAPSHOT));
  assert.equal(f.get("daybreak_uptime_seconds")?.metrics[0]?.value, "12.5");
  assert.equal(f.get("daybreak_events_emitted_total")?.type, "COUNTER");
  assert.deepEqual(f.get("daybreak_rpc_requests_total")?.metrics, [
    { value: "3", labels: { method: "job.start", result: "ok" } },
    { value: "1", labels: { method: "job.start", result: "UnknownJob" } },
  ]);
  assert.deepEqual(f.get("daybreak_job_state")?.metrics, [
    { value: "1", labels: { job: "web", instance: "", goal: "start", state: "running" } },
    {
      value: "1",
      labels: { job: 'odd "name"\\x', instance: "a\nb", goal: "stop", state: "waiting" },
    },
  ]);
  assert.deepEqual(f.get("daybreak_job_respawns_total")?.metrics.map((m) => m.value), ["2", "0"]);
  // Absent values are left out, not written as 0.
  assert.deepEqual(f.get("daybreak_job_last_exit_status")?.metrics, [
    { value: "137", labels: { job: "web", instance: "" } },
  ]);
  assert.deepEqual(f.get("daybreak_job_start_duration_seconds")?.metrics.length, 1);
  assert.deepEqual(f.get("daybreak_job_process_resident_memory_bytes")?.metrics, [
    { value: "4096", labels: { job: "web", instance: "", process: "main", pid: "42" } },
  ]);
  assert.equal(f.get("daybreak_job_process_cpu_seconds_total")?.metrics[0]?.value, "1.5");
  assert.equal(escapeLabel('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
});

Deno.test("parseMetricsAddress() takes host:port, [v6]:port and paths only", () => {
  assert.deepEqual(parseMetricsAddress("127.0.0.1:9100"), {
    transport: "tcp",
    hostname: "127.0.0.1",
    port: 9100,
  });
  assert.deepEqual(parseMetricsAddress("[::1]:0"), { transport: "tcp", hostname: "::1", port: 0 });
  assert.deepEqual(parseMetricsAddress("/run/m.sock"), { transport: "unix", path: "/run/m.sock" });
  for (const bad of ["9100", "::1:9100", "host:99999", "rel/path", "", "a:b"]) {
    assert.throws(() => parseMetricsAddress(bad), /Invalid metrics address/, bad);
  }
});

Deno.test("procSample() reads VmRSS and utime+stime, null when unreadable", () => {
  const stat = "42 (my prog) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 99 1000 10";
  assert.deepEqual(procSample("Name:\tx\nVmRSS:\t    1234 kB\n", stat), {
    rssBytes: 1234 * 1024,
    cpuSeconds: 3,
  });
  assert.deepEqual(procSample(null, null), { rssBytes: null, cpuSeconds: null });
});

Deno.test("metricsHandler() serves a scrape of an engine and its observations", async () => {
  let now = 1000;
  const observed = new Observed(() => now);
  const engine = new Engine({ onStateChange: observed.onStateChange });
  engine.setClasses([
    parseJobConfig("exec sleep 1\n", { name: "svc" }),
    parseJobConfig("", { name: "idle" }),
  ]);
  for (const e of engine.start("svc", [])) observed.onEffect(e);
  const svc = engine.instancesOf("svc")[0];
  assert.ok(svc !== undefined);
  now = 1500;
  const effects = engine.dispatch({ type: "spawned", instance: svc.id, process: "main", pid: 77 });
  for (const e of effects) observed.onEffect(e);
  observed.rpc.add("job.start", "ok");
  const reads: string[] = [];
  const handler = metricsHandler({
    engine,
    observed,
    readText: (path) => {
      reads.push(path);
      return path.endsWith("/status") ? "VmRSS:\t8 kB\n" : null;
    },
  });
  now = 3000;
  const res = handler(new Request("http://localhost/metrics"));
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const f = parse(await res.text());
  assert.equal(f.get("daybreak_uptime_seconds")?.metrics[0]?.value, "2");
  assert.ok(Number(f.get("daybreak_events_emitted_total")?.metrics[0]?.value) >= 2);
  assert.deepEqual(
    f.get("daybreak_job_state")?.metrics.map((m) => `${m.labels?.job} ${m.labels?.state}`),
    ["idle waiting", "svc running"],
  );
  assert.deepEqual(f.get("daybreak_job_start_duration_seconds")?.metrics, [
    { value: "0.5", labels: { job: "svc", instance: "" } },
  ]);
  assert.deepEqual(f.get("daybreak_job_process_resident_memory_bytes")?.metrics, [
    { value: "8192", labels: { job: "svc", instance: "", process: "main", pid: "77" } },
  ]);
  assert.deepEqual(reads, ["/proc/77/status", "/proc/77/stat"]);
  assert.equal(handler(new Request("http://localhost/")).status, 404);
  assert.equal(handler(new Request("http://localhost/metrics", { method: "POST" })).status, 405);
  assert.deepEqual(takeSnapshot({ engine, observed, readText: () => null }).rpc, [
    { method: "job.start", result: "ok", count: 1 },
  ]);
});
