/**
 * The daemon's memory per job: `bin/init --user` with N `sleep` services (`start on startup`,
 * `respawn`, default `console log`), for N = 500 and 2,000 (as `deno task bench:peers` runs
 * them). Once `initctl list` shows all N running and the daemon has settled, it reads the
 * daemon's `/proc/PID/smaps_rollup` (Rss, Pss, private and shared pages) and prints each figure
 * and its growth per extra job, (X(2000) − X(500)) / 1500. Figures are medians of `--repeat`
 * sessions, with their range.
 *
 * `--heap` also attaches V8's inspector (the launcher's deno gets `--inspect`, through
 * `DAYBREAK_DENO`: see bin/_launch.sh) to read the JS heap after a full GC, and a heap
 * snapshot summarised by constructor: what each job costs, object by object. The inspector
 * itself costs memory, so PSS is read in sessions without it.
 *
 * `--v8-flags=FLAGS` adds V8 flags to the daemon's own (to weigh one against PSS and start-up).
 *
 * `--poll` waits for the cold start as `deno task bench:peers` does (bench/peers/session.ts):
 * `initctl list` again 5 ms after each answer, from the daemon's launch until it reports all N
 * running, so that the daemon answers requests (and makes their garbage) during its burst of
 * spawns. Without it the bench watches the process table and asks once at the end.
 *
 *     deno task bench memory
 *     deno run -A bench/memory_bench.ts [--sizes=500,2000] [--repeat=3] [--settle=MS] [--heap]
 *       [--top=N] [--v8-flags=--foo] [--poll]
 *
 * @module
 */

import { Daybreak, DAYBREAK_JOB, DAYBREAK_ROOT, parseInitctlList } from "./peers/daybreak.ts";
import { adoptOrphans, baseEnv, killAllDescendants, launch, run } from "./peers/exec.ts";
import { listDir, readText } from "./peers/_libc.ts";
import { childrenOf } from "./peers/proc.ts";
import { median } from "./peers/stats.ts";
import { serviceName } from "./peers/manager.ts";

/** The `smaps_rollup` fields reported, in kB. */
const FIELDS = [
  "Rss",
  "Pss",
  "Pss_Anon",
  "Pss_File",
  "Shared_Clean",
  "Private_Clean",
  "Private_Dirty",
] as const;

/** One session's figures: smaps_rollup fields (kB), and the heap (bytes) when asked. */
interface Sample {
  readonly n: number;
  readonly coldMs: number;
  /** The daemon's user + system CPU time until all N ran and it settled, ms. */
  readonly cpuMs: number;
  readonly smaps: Record<string, number>;
  readonly heap?: Record<string, number>;
  readonly byConstructor?: Map<string, { count: number; bytes: number }>;
}

/** Parses `/proc/PID/smaps_rollup` into kB per field. */
export function parseSmapsRollup(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = /^(\w+):\s+(\d+) kB$/.exec(line.trim());
    if (m !== null) out[m[1]!] = Number(m[2]);
  }
  return out;
}

interface Options {
  sizes: number[];
  repeat: number;
  heap: boolean;
  v8Flags: string;
  settleMs: number;
  top: number;
  poll: boolean;
}

function parseOptions(args: readonly string[]): Options {
  const o: Options = {
    sizes: [500, 2000],
    repeat: 3,
    heap: false,
    v8Flags: "",
    settleMs: 3000,
    top: 25,
    poll: false,
  };
  for (const a of args) {
    const [k, v = ""] = a.split(/=(.*)/s, 2) as [string, string?];
    if (k === "--sizes") o.sizes = v.split(",").map(Number);
    else if (k === "--repeat") o.repeat = Number(v);
    else if (k === "--heap") o.heap = true;
    else if (k === "--v8-flags") o.v8Flags = v;
    else if (k === "--settle") o.settleMs = Number(v);
    else if (k === "--top") o.top = Number(v);
    else if (k === "--poll") o.poll = true;
  }
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The deno the launcher would use, wrapped to add flags after `run`. */
async function denoWrapper(dir: string, extra: string): Promise<string | null> {
  if (extra === "") return null;
  const deno = `${DAYBREAK_ROOT}tools/deno/node_modules/deno/deno`;
  const path = `${dir}/deno-wrapper`;
  await Deno.writeTextFile(path, `#!/bin/sh\nsub=$1; shift\nexec ${deno} "$sub" ${extra} "$@"\n`);
  await Deno.chmod(path, 0o755);
  return path;
}

async function session(n: number, o: Options, port: number | null): Promise<Sample> {
  const dir = await Deno.makeTempDir({ prefix: "daybreak-memory-bench-" });
  try {
    const confdir = `${dir}/conf`;
    const sock = `${dir}/daybreak.sock`;
    await Deno.mkdir(`${dir}/run`, { recursive: true, mode: 0o700 });
    await Deno.mkdir(`${dir}/cache`, { recursive: true });
    await Deno.mkdir(confdir, { recursive: true });
    for (let i = 0; i < n; i++) {
      await Deno.writeTextFile(`${confdir}/${serviceName(i)}.conf`, DAYBREAK_JOB);
    }
    const env: Record<string, string> = {
      ...baseEnv(dir),
      XDG_RUNTIME_DIR: `${dir}/run`,
      XDG_CACHE_HOME: `${dir}/cache`,
    };
    const flags = [o.v8Flags === "" ? "" : `--v8-flags=${o.v8Flags}`];
    if (port !== null) flags.push(`--inspect=127.0.0.1:${port}`);
    const wrapper = await denoWrapper(dir, flags.filter((f) => f !== "").join(" "));
    const init = `${DAYBREAK_ROOT}bin/init`;
    const t0 = performance.now();
    // Only the daemon gets the wrapper: initctl must not open a second inspector.
    const daemon = launch([init, "--user", "--confdir", confdir, "--socket", sock], {
      env: wrapper === null ? env : { ...env, DAYBREAK_DENO: wrapper },
      cwd: dir,
    });
    const initctl = `${DAYBREAK_ROOT}bin/initctl`;
    const reportsAll = async () => {
      const r = await run([initctl, "--socket", sock, "list"], { env, cwd: dir })
        .catch(() => null);
      return r !== null && parseInitctlList(r.stdout).size >= n;
    };
    let coldMs = NaN;
    while (performance.now() - t0 < 120_000) {
      if (o.poll) {
        // As the peers bench: the status command over and over, 5 ms apart.
        if (await reportsAll()) {
          coldMs = performance.now() - t0;
          break;
        }
        await sleep(5);
        continue;
      }
      // The process table first (cheap, no client start-up competing with the daemon for the
      // CPU), then one `initctl list` to check that the daemon reports all N running.
      await sleep(20);
      if (runningChildren(daemon.pid) < n) continue;
      if (await reportsAll()) {
        coldMs = performance.now() - t0;
        break;
      }
    }
    if (Number.isNaN(coldMs)) throw new Error(`N=${n}: not all jobs running after 120 s`);
    await sleep(o.settleMs);
    let heap: Record<string, number> | undefined;
    let byConstructor: Map<string, { count: number; bytes: number }> | undefined;
    if (port !== null) {
      ({ heap, byConstructor } = await inspectHeap(port));
    }
    const text = readText(`/proc/${daemon.pid}/smaps_rollup`);
    if (text === null) throw new Error(`N=${n}: daemon gone`);
    const smaps = parseSmapsRollup(text);
    const cpuMs = cpuTimeMs(daemon.pid);
    Deno.kill(daemon.pid, "SIGTERM");
    await Promise.race([daemon.status, sleep(10_000)]);
    await killAllDescendants();
    return {
      n,
      coldMs,
      cpuMs,
      smaps,
      ...(heap === undefined ? {} : { heap }),
      ...(byConstructor === undefined ? {} : { byConstructor }),
    };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Live `sleep` children of `pid` (any thread's). */
function runningChildren(pid: number): number {
  let n = 0;
  for (const tid of listDir(`/proc/${pid}/task`)) {
    for (const c of childrenOf(pid, Number(tid))) {
      if (readText(`/proc/${c}/comm`)?.trim() === "sleep") n++;
    }
  }
  return n;
}

/** utime + stime of `pid` from `/proc/PID/stat`, in ms (clock ticks of 10 ms). */
function cpuTimeMs(pid: number): number {
  const text = readText(`/proc/${pid}/stat`) ?? "";
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) * 10;
}

/** A minimal Chrome DevTools Protocol client over the inspector's WebSocket. */
export class Inspector {
  readonly #ws: WebSocket;
  #next = 1;
  readonly #pending = new Map<number, (v: unknown) => void>();
  readonly chunks: string[] = [];

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (e) => {
      const msg = JSON.parse(String(e.data));
      if (msg.id !== undefined) {
        this.#pending.get(msg.id)?.(msg);
        this.#pending.delete(msg.id);
      } else if (msg.method === "HeapProfiler.addHeapSnapshotChunk") {
        this.chunks.push(msg.params.chunk);
      }
    };
  }

  static async open(port: number): Promise<Inspector> {
    const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    const ws = new WebSocket(list[0].webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    return new Inspector(ws);
  }

  call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.#next++;
    const p = new Promise((r) => this.#pending.set(id, r));
    this.#ws.send(JSON.stringify({ id, method, params }));
    return p;
  }

  close(): void {
    this.#ws.close();
  }
}

async function inspectHeap(port: number): Promise<{
  heap: Record<string, number>;
  byConstructor: Map<string, { count: number; bytes: number }>;
}> {
  const ins = await Inspector.open(port);
  try {
    await ins.call("HeapProfiler.enable");
    await ins.call("HeapProfiler.collectGarbage");
    const r = await ins.call("Runtime.evaluate", {
      expression: "JSON.stringify(Deno.memoryUsage())",
      returnByValue: true,
    }) as { result?: { result?: { value?: string } } };
    const heap = JSON.parse(r.result?.result?.value ?? "{}") as Record<string, number>;
    await ins.call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    const byConstructor = summariseSnapshot(JSON.parse(ins.chunks.join("")));
    return { heap, byConstructor };
  } finally {
    ins.close();
  }
}

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size and count per (node type, constructor name), as DevTools' summary view groups. */
export function summariseSnapshot(
  s: HeapSnapshot,
): Map<string, { count: number; bytes: number }> {
  const fields = s.snapshot.meta.node_fields;
  const width = fields.length;
  const fType = fields.indexOf("type");
  const fName = fields.indexOf("name");
  const fSize = fields.indexOf("self_size");
  const types = s.snapshot.meta.node_types[0];
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + fType]!] ?? "?";
    let name = type;
    if (type === "object" || type === "native" || type === "closure") {
      // V8 numbers each context ("scope @123"): one group for them all.
      name = `${type}:${s.strings[s.nodes[i + fName]!]!.replace(/ @\d+$/, "").slice(0, 60)}`;
    }
    const e = out.get(name) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += s.nodes[i + fSize]!;
    out.set(name, e);
  }
  return out;
}

function range(v: number[]): string {
  const m = median(v);
  if (v.length < 2) return m.toFixed(1);
  return `${m.toFixed(1)} (${Math.min(...v).toFixed(1)}–${Math.max(...v).toFixed(1)})`;
}

/** Runs the memory benchmark and prints its figures. */
export async function main(
  print: (line: string) => void,
  args: readonly string[] = [],
): Promise<void> {
  const o = parseOptions(args);
  if (await new Daybreak().available() !== true) {
    print("memory: bin/init not available");
    return;
  }
  adoptOrphans();
  const samples = new Map<number, Sample[]>();
  for (let r = 0; r < o.repeat; r++) {
    for (const n of o.sizes) {
      const s = await session(n, o, null);
      samples.set(n, [...(samples.get(n) ?? []), s]);
      print(
        `memory N=${n} run ${r + 1}: Pss ${(s.smaps.Pss! / 1024).toFixed(1)} MiB, ` +
          `Pss_Anon ${(s.smaps.Pss_Anon! / 1024).toFixed(1)} MiB, ` +
          `Rss ${(s.smaps.Rss! / 1024).toFixed(1)} MiB, cold start ${s.coldMs.toFixed(0)} ms, ` +
          `daemon CPU ${s.cpuMs.toFixed(0)} ms`,
      );
    }
  }
  for (const n of o.sizes) {
    const ss = samples.get(n) ?? [];
    if (ss.length === 0) continue;
    print(`memory N=${n}: cold start: ${range(ss.map((s) => s.coldMs))} ms`);
    print(`memory N=${n}: daemon CPU until settled: ${range(ss.map((s) => s.cpuMs))} ms`);
    for (const f of FIELDS) {
      print(`memory N=${n}: ${f}: ${range(ss.map((s) => s.smaps[f]! / 1024))} MiB`);
    }
  }
  const [lo, hi] = [o.sizes[0]!, o.sizes.at(-1)!];
  if (hi > lo && o.repeat > 0) {
    for (const f of FIELDS) {
      const a = median(samples.get(lo)!.map((s) => s.smaps[f]!));
      const b = median(samples.get(hi)!.map((s) => s.smaps[f]!));
      print(`memory growth ${lo}→${hi}: ${f}: ${((b - a) / (hi - lo)).toFixed(2)} kB per job`);
    }
  }
  if (!o.heap) return;
  const heaps = new Map<number, Sample>();
  for (const n of o.sizes) {
    heaps.set(n, await session(n, o, 9229 + Math.floor(Math.random() * 500)));
    const h = heaps.get(n)!.heap!;
    print(
      `heap N=${n}: used ${(h.heapUsed! / 1048576).toFixed(2)} MiB, total ` +
        `${(h.heapTotal! / 1048576).toFixed(2)} MiB, external ${
          (h.external! / 1048576).toFixed(2)
        } MiB`,
    );
  }
  const base = [...heaps.get(lo)!.byConstructor!].sort((x, y) => y[1].bytes - x[1].bytes);
  print(`heap at N=${lo} by constructor (objects, bytes), top ${o.top}:`);
  for (const [k, { count, bytes }] of base.slice(0, o.top)) {
    print(`  ${(bytes / 1024).toFixed(0).padStart(6)} KiB  ${String(count).padStart(7)}×  ${k}`);
  }
  if (hi > lo) {
    const a = heaps.get(lo)!, b = heaps.get(hi)!;
    print(
      `heap growth ${lo}→${hi}: used ${
        ((b.heap!.heapUsed! - a.heap!.heapUsed!) / (hi - lo)).toFixed(0)
      } B per job`,
    );
    const rows: [string, number, number][] = [];
    for (const [k, vb] of b.byConstructor!) {
      const va = a.byConstructor!.get(k) ?? { count: 0, bytes: 0 };
      rows.push([k, (vb.count - va.count) / (hi - lo), (vb.bytes - va.bytes) / (hi - lo)]);
    }
    rows.sort((x, y) => y[2] - x[2]);
    print(`heap per job by constructor (objects, bytes), top ${o.top}:`);
    for (const [k, c, bytes] of rows.slice(0, o.top)) {
      print(`  ${bytes.toFixed(0).padStart(6)} B  ${c.toFixed(2).padStart(6)}×  ${k}`);
    }
  }
}

if (import.meta.main) {
  const encoder = new TextEncoder();
  await main((l) => Deno.stdout.writeSync(encoder.encode(`${l}\n`)), Deno.args);
}
