/**
 * Engine throughput: 1,000 job classes with varied `start on`/`stop on` over ~200 event names,
 * 10,000 emitted events, processes completed by the fake spawner. Prints figures only.
 *
 *     deno run --allow-read bench/engine_bench.ts
 *
 * @module
 */

import { Engine } from "../daemon/engine/engine.ts";
import type { Effect } from "../daemon/engine/types.ts";
import { EngineDriver } from "../daemon/engine_driver.ts";
import { EventExprState } from "../daemon/engine/event_operator.ts";
import { parseJobConfig } from "../parser/parse_job.ts";
import type { EventLike, JobClassSpec } from "../parser/types.ts";
import { FakeClock } from "../tests/fakes/fake_clock.ts";
import { FakeSpawner } from "../tests/fakes/fake_spawner.ts";

const CLASSES = 1000;
const EVENT_NAMES = 200;
const EMITS = 10_000;

/** A small deterministic PRNG (mulberry32), so every run measures the same work. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function buildClasses(rand: () => number): { specs: JobClassSpec[]; tasks: Set<string> } {
  const ev = () => `ev${Math.floor(rand() * EVENT_NAMES)}`;
  const specs: JobClassSpec[] = [];
  const tasks = new Set<string>();
  for (let i = 0; i < CLASSES; i++) {
    const name = `job${i}`;
    const kind = rand();
    let text: string;
    if (kind < 0.4) {
      text = `start on ${ev()}\ntask\npre-start exec prepare\nexec work`;
      tasks.add(name);
    } else if (kind < 0.6) {
      text = `start on ${ev()} or ${ev()}\nstop on ${ev()}\nexec daemon\npost-stop exec clean`;
    } else if (kind < 0.8) {
      text = `start on ${ev()} and ${ev()}\ntask\nexec work`;
      tasks.add(name);
    } else if (kind < 0.9) {
      text = `start on ${ev()} KEY=v[0-4]*\nstop on ${ev()} KEY!=v1\nexec daemon`;
    } else {
      const other = `job${Math.floor(rand() * i)}`;
      text = `start on started ${other} or stopping ${other}\nstop on ${ev()}\nexec daemon`;
    }
    specs.push(parseJobConfig(text, { name }));
  }
  return { specs, tasks };
}

/** The engine and its real driver with fakes, counting events (unlike the test harness). */
class Driver {
  readonly engine = new Engine();
  readonly clock = new FakeClock();
  readonly spawner: FakeSpawner;
  readonly driver: EngineDriver;
  events = 0;

  constructor(specs: JobClassSpec[], tasks: ReadonlySet<string>) {
    this.spawner = new FakeSpawner({
      dieOnSignal: true,
      autoExit: (p) => (p.process !== "main" || tasks.has(p.job) ? { code: 0 } : null),
    });
    this.driver = new EngineDriver(this.engine, {
      spawner: this.spawner,
      clock: this.clock,
      security: { load: () => Promise.resolve({ ok: true }) },
      log: () => {},
      observe: (effect) => {
        if (effect.type === "eventEmitted") this.events++;
      },
    }, { defaultConsole: "none", logDir: null, umask: 0o022, chdir: null });
    this.apply(this.engine.setClasses(specs));
  }

  apply(effects: readonly Effect[]): void {
    this.driver.apply(effects);
  }
}

function write(line: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(`${line}\n`));
}

/** Runs the benchmark and prints its figures. */
export async function main(): Promise<void> {
  const rand = random(42);
  const { specs, tasks } = buildClasses(rand);

  // Matching one event against every class's start on, without the engine's name index.
  const states = specs.flatMap((s) => s.startOn === null ? [] : [new EventExprState(s.startOn)]);
  const probes: EventLike[] = [];
  for (let i = 0; i < 1000; i++) {
    probes.push({ name: `ev${i % EVENT_NAMES}`, env: [`KEY=v${i % 7}`] });
  }
  let t0 = performance.now();
  for (const event of probes) {
    for (const state of states) {
      state.offer(event, null);
      state.reset();
    }
  }
  const scanMs = (performance.now() - t0) / probes.length;

  const d = new Driver(specs, tasks);
  t0 = performance.now();
  for (let i = 0; i < EMITS; i++) {
    const name = `ev${Math.floor(rand() * EVENT_NAMES)}`;
    d.apply(d.engine.emit(name, [`KEY=v${Math.floor(rand() * 7)}`]));
    if (i % 100 === 99) d.clock.advance(1000);
  }
  const emitMs = performance.now() - t0;

  // Matching through the engine: an event no class mentions, and one that some classes do.
  const quiet = 2000;
  t0 = performance.now();
  for (let i = 0; i < quiet; i++) d.engine.emit("nobody-listens", []);
  const engineQuietMs = (performance.now() - t0) / quiet;

  await Promise.resolve();
  write(`classes: ${CLASSES} (${specs.filter((s) => s.stopOn !== null).length} with stop on)`);
  write(
    `emitted events: ${EMITS} in ${emitMs.toFixed(0)} ms = ${
      (EMITS / emitMs * 1000).toFixed(0)
    } events/s`,
  );
  write(
    `all events handled (incl. job events): ${d.events} = ${
      (d.events / emitMs * 1000).toFixed(0)
    } events/s`,
  );
  write(`processes spawned: ${d.spawner.spawns.length}, live at end: ${d.spawner.live.length}`);
  write(
    `match one event against all ${states.length} start on expressions (scan): ${
      (scanMs * 1000).toFixed(1)
    } µs`,
  );
  write(
    `engine.emit of an event no class mentions (indexed): ${(engineQuietMs * 1000).toFixed(1)} µs`,
  );
}

if (import.meta.main) await main();
