/**
 * `init --metrics ADDR`: serves `GET /metrics` (the Prometheus text format of
 * `metrics.ts`) on `127.0.0.1:PORT`, `[::1]:PORT` or a unix socket path.
 * Samples the engine, what the daemon observed, and each job process's
 * `/proc/PID/stat` and `status` at every scrape. See docs/seeing.md#metrics.
 *
 * @module
 */

import type { Engine } from "./engine/engine.ts";
import type { Instance } from "./engine/types.ts";
import {
  CONTENT_TYPE,
  type InstanceSample,
  type MetricsSnapshot,
  renderMetrics,
} from "./metrics.ts";
import type { Observed } from "./observe.ts";

/** Where to listen. */
export type MetricsAddress =
  | { readonly transport: "tcp"; readonly hostname: string; readonly port: number }
  | { readonly transport: "unix"; readonly path: string };

/** A bad `--metrics` value. */
export class MetricsAddressError extends Error {
  constructor(text: string) {
    super(`Invalid metrics address: ${text} (expected HOST:PORT, [IPV6]:PORT or /path)`);
    this.name = "MetricsAddressError";
  }
}

/**
 * Parses `--metrics ADDR`.
 *
 * @param text `127.0.0.1:9100`, `[::1]:9100`, `localhost:9100` or `/run/daybreak/metrics.sock`
 * @returns the address
 * @throws {MetricsAddressError} for anything else
 */
export function parseMetricsAddress(text: string): MetricsAddress {
  if (text.startsWith("/")) return { transport: "unix", path: text };
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (m === null || port > 65535) throw new MetricsAddressError(text);
  return { transport: "tcp", hostname: (m[1] ?? m[2]) as string, port };
}

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/**
 * RSS and CPU time of a process from its `/proc/PID/status` and `stat` texts.
 *
 * @param status the `status` text, or null
 * @param stat the `stat` text, or null
 * @returns bytes and seconds; null where the text was missing or odd
 */
export function procSample(
  status: string | null,
  stat: string | null,
): { rssBytes: number | null; cpuSeconds: number | null } {
  const rss = status === null ? null : /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  // Fields after the command name (which may hold spaces) start at field 3: utime is 14, stime 15.
  const rest = stat === null ? null : stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(rest?.[11]);
  const stime = Number(rest?.[12]);
  return {
    rssBytes: rss === null || rss === undefined ? null : Number(rss[1]) * 1024,
    cpuSeconds: Number.isFinite(utime) && Number.isFinite(stime) && rest !== null
      ? (utime + stime) / USER_HZ
      : null,
  };
}

/** What a scrape reads. */
export interface MetricsSources {
  readonly engine: Engine;
  readonly observed: Observed;
  /** A small file's text, null when unreadable (through libc: Deno refuses /proc). */
  readonly readText: (path: string) => string | null;
}

/**
 * Takes a snapshot of the daemon for one scrape.
 *
 * @param src the sources
 * @returns the snapshot
 */
export function takeSnapshot(src: MetricsSources): MetricsSnapshot {
  const { engine, observed } = src;
  const instances: InstanceSample[] = [];
  const lines = engine.list().sort((a, b) =>
    a.job < b.job ? -1 : a.job > b.job ? 1 : a.instance < b.instance ? -1 : 1
  );
  for (const line of lines) {
    let live: Instance[] = [];
    try {
      live = engine.instancesOf(line.job);
    } catch { /* removed meanwhile */ }
    const inst = live.find((i) => i.name === line.instance);
    const facts = observed.stats.get(line.job, line.instance);
    const exit = facts?.lastExit?.status ?? null;
    instances.push({
      job: line.job,
      instance: line.instance,
      goal: line.goal,
      state: line.state,
      respawns: facts?.respawns ?? 0,
      lastExitStatus: exit === null ? null : "code" in exit ? exit.code : 128 + exit.signal,
      startDurationSeconds: facts?.startDurationMs == null ? null : facts.startDurationMs / 1000,
      processes: inst === undefined ? [] : line.processes.map((p) => ({
        process: p.process,
        pid: p.pid,
        ...procSample(src.readText(`/proc/${p.pid}/status`), src.readText(`/proc/${p.pid}/stat`)),
      })),
    });
  }
  return {
    uptimeSeconds: (observed.now() - observed.startedAt) / 1000,
    eventsEmitted: observed.stats.eventsEmitted,
    rpc: observed.rpc.entries().sort((a, b) =>
      a.method < b.method ? -1 : a.method > b.method ? 1 : a.result < b.result ? -1 : 1
    ),
    instances,
  };
}

/**
 * The HTTP handler: `GET /metrics` (and `HEAD`); 404 elsewhere, 405 for other methods.
 *
 * @param src the sources
 * @returns the handler
 */
export function metricsHandler(src: MetricsSources): (req: Request) => Response {
  return (req) => {
    const url = new URL(req.url);
    if (url.pathname !== "/metrics") return new Response("Not Found\n", { status: 404 });
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("Method Not Allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    const body = renderMetrics(takeSnapshot(src));
    return new Response(req.method === "HEAD" ? null : body, {
      headers: { "content-type": CONTENT_TYPE },
    });
  };
}

/** A running metrics server. */
export interface MetricsServer {
  readonly address: MetricsAddress;
  close(): Promise<void>;
}

/**
 * Serves the metrics.
 *
 * @param address where
 * @param src the sources
 * @param onError where request errors go (the daemon never dies of them)
 * @returns the server
 */
export async function serveMetrics(
  address: MetricsAddress,
  src: MetricsSources,
  onError: (message: string) => void,
): Promise<MetricsServer> {
  const handler = metricsHandler(src);
  const common = {
    onError: (e: unknown) => {
      onError(String(e));
      return new Response("Internal Server Error\n", { status: 500 });
    },
    onListen: () => {},
  };
  let server: Deno.HttpServer;
  if (address.transport === "unix") {
    // A socket left by an earlier daemon is replaced; anything else at that path is an error.
    const old = await Deno.lstat(address.path).catch(() => null);
    if (old?.isSocket) await Deno.remove(address.path);
    server = Deno.serve({ ...common, path: address.path }, handler);
  } else {
    server = Deno.serve({ ...common, hostname: address.hostname, port: address.port }, handler);
  }
  const actual: MetricsAddress = address.transport === "tcp"
    ? { ...address, port: (server.addr as Deno.NetAddr).port }
    : address;
  return {
    address: actual,
    close: async () => {
      await server.shutdown();
      if (address.transport === "unix") await Deno.remove(address.path).catch(() => {});
    },
  };
}
