/**
 * The Prometheus text exposition (version 0.0.4) of the daemon's state:
 * per job instance its state, respawns, last exit status, start duration and
 * its processes' memory and CPU; daemon uptime, events emitted, RPC calls by
 * method and result. Pure: the snapshot comes in as data. See
 * docs/seeing.md#metrics.
 *
 * @module
 */

/** One process of an instance, with what /proc said about it (null: unreadable). */
export interface ProcessSample {
  readonly process: string;
  readonly pid: number;
  readonly rssBytes: number | null;
  readonly cpuSeconds: number | null;
}

/** One job instance (or a job without instances, as `instance=""` in `waiting`). */
export interface InstanceSample {
  readonly job: string;
  readonly instance: string;
  readonly goal: string;
  readonly state: string;
  readonly respawns: number;
  /** The exit code of the last process that ended, or 128 + its signal; null when none did. */
  readonly lastExitStatus: number | null;
  readonly startDurationSeconds: number | null;
  readonly processes: readonly ProcessSample[];
}

/** Everything one scrape shows. */
export interface MetricsSnapshot {
  readonly uptimeSeconds: number;
  readonly eventsEmitted: number;
  readonly rpc: readonly {
    readonly method: string;
    readonly result: string;
    readonly count: number;
  }[];
  readonly instances: readonly InstanceSample[];
}

/** The content type of the text format. */
export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * A label value in the text format: backslash, double quote and newline escaped.
 *
 * @param value the raw value
 * @returns the escaped value (without quotes)
 */
export function escapeLabel(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

function labels(pairs: Record<string, string>): string {
  const inner = Object.entries(pairs).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",");
  return inner === "" ? "" : `{${inner}}`;
}

function num(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

class Families {
  readonly #lines: string[] = [];

  family(
    name: string,
    type: "gauge" | "counter",
    help: string,
    samples: [Record<string, string>, number][],
  ): void {
    this.#lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [l, v] of samples) this.#lines.push(`${name}${labels(l)} ${num(v)}`);
  }

  text(): string {
    return `${this.#lines.join("\n")}\n`;
  }
}

/**
 * Renders a snapshot.
 *
 * @param s the snapshot
 * @returns the exposition text, ending in a newline
 */
export function renderMetrics(s: MetricsSnapshot): string {
  const f = new Families();
  const id = (i: InstanceSample) => ({ job: i.job, instance: i.instance });
  f.family("daybreak_uptime_seconds", "gauge", "Seconds since the daemon started.", [[
    {},
    s.uptimeSeconds,
  ]]);
  f.family(
    "daybreak_events_emitted_total",
    "counter",
    "Events emitted since start-up, job events included.",
    [[{}, s.eventsEmitted]],
  );
  f.family(
    "daybreak_rpc_requests_total",
    "counter",
    "Control requests by method and result (ok or the error name).",
    s.rpc.map((r) => [{ method: r.method, result: r.result }, r.count]),
  );
  f.family(
    "daybreak_job_state",
    "gauge",
    "1 for the state (and goal) each job instance is in.",
    s.instances.map((i) => [{ ...id(i), goal: i.goal, state: i.state }, 1]),
  );
  f.family(
    "daybreak_job_respawns_total",
    "counter",
    "Times the instance's main process was respawned.",
    s.instances.map((i) => [id(i), i.respawns]),
  );
  f.family(
    "daybreak_job_last_exit_status",
    "gauge",
    "Exit status of the instance's last ended process (128 + signal when killed).",
    s.instances.flatMap((i) => i.lastExitStatus === null ? [] : [[id(i), i.lastExitStatus]]),
  );
  f.family(
    "daybreak_job_start_duration_seconds",
    "gauge",
    "Seconds from starting to running of the instance's last start.",
    s.instances.flatMap((i) =>
      i.startDurationSeconds === null ? [] : [[id(i), i.startDurationSeconds]]
    ),
  );
  const procs = s.instances.flatMap((i) =>
    i.processes.map((p) => ({ l: { ...id(i), process: p.process, pid: String(p.pid) }, p }))
  );
  f.family(
    "daybreak_job_process_resident_memory_bytes",
    "gauge",
    "Resident set size of each job process, from /proc.",
    procs.flatMap(({ l, p }) => p.rssBytes === null ? [] : [[l, p.rssBytes]]),
  );
  f.family(
    "daybreak_job_process_cpu_seconds_total",
    "counter",
    "User and system CPU time of each job process, from /proc.",
    procs.flatMap(({ l, p }) => p.cpuSeconds === null ? [] : [[l, p.cpuSeconds]]),
  );
  return f.text();
}
