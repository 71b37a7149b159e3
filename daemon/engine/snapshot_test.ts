// A snapshot behaves as the original (docs/reexec.md): random runs of requests, events, spawns,
// exits, timers and reloads; at a random point the engine is snapshotted, the snapshot goes
// through JSON into a fresh engine, and both are fed the same further inputs. Every call must
// give the same effects (or the same error), and the states must stay equal.
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseJobConfig } from "../../parser/parse_job.ts";
import type { JobClassSpec } from "../../parser/types.ts";
import { Engine, type EngineOptions } from "./engine.ts";
import { EngineError } from "./errors.ts";
import { type SNAPSHOT_VERSION, SnapshotError } from "./snapshot.ts";
import type { Effect, InstanceId } from "./types.ts";
import type { ProcessName } from "../../parser/types.ts";

const FILES: Record<string, string> = {
  svc: "start on e1\nstop on e2\nexec d",
  work: "start on e2 or started svc\ntask\npre-start exec p\nexec t",
  hooks: "start on e3 and e1\nstop on stopping svc\nexec d\npost-start exec ps\n" +
    "pre-stop exec pst\npost-stop exec po",
  resp: "respawn\nrespawn limit 3 5\nstart on e3\nnormal exit 2\nexec r",
  abs: "start on starting work\nstop on e4",
  inst: "instance $N\nstart on e4\nstop on e1 and e2 N=$N\nexec d\npost-stop exec clean",
  gate: "start on stopping work\ntask\nexec g",
  sec: "apparmor load /p\nstart on e1 and (e4 or e3)\nexec s",
};
/** A changed definition for each job, swapped in by `reload` (deferred while instances run). */
const CHANGED: Record<string, string> = Object.fromEntries(
  Object.entries(FILES).map(([k, v]) => [k, `${v}\nkill timeout 7`]),
);
const JOBS = Object.keys(FILES);

function parse(files: Record<string, string>, names: readonly string[]): JobClassSpec[] {
  return names.map((name) => parseJobConfig(files[name]!, { name }));
}

type Command =
  | { kind: "start" | "stop" | "restart"; job: string; n: string; wait: boolean }
  | { kind: "emit"; name: string; n: string; wait: boolean }
  | { kind: "spawned" | "spawnFailed" | "security"; index: number; ok: boolean }
  | { kind: "exit"; index: number; code: number; signal: boolean }
  | { kind: "timer"; index: number }
  | { kind: "advance"; ms: number }
  | { kind: "reload"; job: string; changed: boolean; drop: boolean }
  | { kind: "sessionEnd" };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constantFrom("start" as const, "stop" as const, "restart" as const),
      job: fc.constantFrom(...JOBS),
      n: fc.constantFrom("a", "b"),
      wait: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("emit" as const),
      name: fc.constantFrom("e1", "e2", "e3", "e4"),
      n: fc.constantFrom("a", "b"),
      wait: fc.boolean(),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constantFrom("spawned" as const, "spawnFailed" as const, "security" as const),
      index: fc.nat(),
      ok: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("exit" as const),
      index: fc.nat(),
      code: fc.nat({ max: 2 }),
      signal: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("timer" as const), index: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("advance" as const),
      ms: fc.integer({ min: 1, max: 7000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("reload" as const),
      job: fc.constantFrom(...JOBS),
      changed: fc.boolean(),
      drop: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "sessionEnd" as const }) },
);

/** What the outside world knows: the engine's outstanding requests, as plain data. */
interface World {
  spawns: { instance: InstanceId; process: ProcessName }[];
  security: InstanceId[];
  live: number[];
  timers: string[];
  nextPid: number;
  now: number;
  waiter: number;
  /** Which jobs are loaded, and which of them in their changed form. */
  loaded: Record<string, "plain" | "changed">;
}

function newWorld(): World {
  return {
    spawns: [],
    security: [],
    live: [],
    timers: [],
    nextPid: 100,
    now: 0,
    waiter: 0,
    loaded: Object.fromEntries(JOBS.map((j) => [j, "plain" as const])),
  };
}

function absorb(world: World, effects: readonly Effect[]): void {
  for (const e of effects) {
    switch (e.type) {
      case "spawn":
        world.spawns.push({ instance: e.instanceId, process: e.process });
        break;
      case "loadSecurity":
        world.security.push(e.instanceId);
        break;
      case "armTimer":
        if (!world.timers.includes(e.id)) world.timers.push(e.id);
        break;
      case "cancelTimer":
        world.timers = world.timers.filter((t) => t !== e.id);
        break;
    }
  }
}

function take<T>(list: T[], index: number): T | undefined {
  if (list.length === 0) return undefined;
  return list.splice(index % list.length, 1)[0];
}

function classes(world: World): JobClassSpec[] {
  const names = JOBS.filter((j) => world.loaded[j] !== undefined);
  return names.map((name) =>
    parseJobConfig((world.loaded[name] === "changed" ? CHANGED : FILES)[name]!, { name })
  );
}

/** Runs one command; returns the effects, or the engine error's code. */
function step(engine: Engine, world: World, cmd: Command): Effect[] | string {
  const opts = () => (cmdWait(cmd) ? { waiterId: `w${world.waiter++}` } : {});
  let effects: Effect[];
  try {
    switch (cmd.kind) {
      case "start":
      case "stop":
      case "restart":
        effects = engine[cmd.kind](cmd.job, [`N=${cmd.n}`], opts());
        break;
      case "emit":
        effects = engine.emit(cmd.name, [`N=${cmd.n}`], opts());
        break;
      case "spawned":
      case "spawnFailed": {
        const s = take(world.spawns, cmd.index);
        if (s === undefined) return [];
        if (cmd.kind === "spawned") {
          const pid = world.nextPid++;
          world.live.push(pid);
          effects = engine.dispatch({ type: "spawned", ...s, pid });
        } else {
          effects = engine.dispatch({ type: "spawnFailed", ...s, reason: "unable to execute" });
        }
        break;
      }
      case "security": {
        const instance = take(world.security, cmd.index);
        if (instance === undefined) return [];
        effects = engine.dispatch({ type: "securityLoaded", instance, ok: cmd.ok });
        break;
      }
      case "exit": {
        const pid = take(world.live, cmd.index);
        if (pid === undefined) return [];
        const status = cmd.signal ? { signal: 15 } : { code: cmd.code };
        effects = engine.dispatch({ type: "processExited", pid, status, now: world.now });
        break;
      }
      case "timer": {
        const id = take(world.timers, cmd.index);
        if (id === undefined) return [];
        effects = engine.dispatch({ type: "timer", id });
        break;
      }
      case "advance":
        world.now += cmd.ms;
        return [];
      case "reload":
        if (cmd.drop) delete world.loaded[cmd.job];
        else world.loaded[cmd.job] = cmd.changed ? "changed" : "plain";
        effects = engine.setClasses(classes(world));
        break;
      case "sessionEnd":
        effects = engine.sessionEnd("logout");
        break;
    }
  } catch (e) {
    if (e instanceof EngineError) return e.code;
    throw e;
  }
  absorb(world, effects);
  return effects;
}

function cmdWait(cmd: Command): boolean {
  return "wait" in cmd && cmd.wait;
}

/** JSON equality: the snapshot is JSON, so `undefined` fields and absent ones are the same. */
function same(a: unknown, b: unknown, what: string): void {
  assert.deepEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)), what);
}

const OPTIONS: EngineOptions[] = [
  { initEnv: ["PATH=/bin"] },
  {
    initEnv: ["PATH=/bin"],
    restartKeepsEnv: true,
    restartFullCycle: true,
    stopInterruptsHooks: true,
    hookTimeout: 3,
    respawnBackoff: { baseMs: 500, maxMs: 4000 },
  },
];

Deno.test("a restored snapshot behaves as the original under the same inputs", () => {
  fc.assert(
    fc.property(
      fc.array(command, { maxLength: 60 }),
      fc.array(command, { maxLength: 60 }),
      fc.constantFrom(...OPTIONS),
      (before, after, options) => {
        const original = new Engine(options);
        const world = newWorld();
        absorb(world, original.setClasses(parse(FILES, JOBS)));
        for (const cmd of before) step(original, world, cmd);

        const text = JSON.stringify(original.snapshot());
        const restored = Engine.restore(JSON.parse(text), options);
        same(restored.snapshot(), JSON.parse(text), "snapshot of the restored engine");
        same(restored.list(), original.list(), "statuses right after restoring");

        const copy = structuredClone(world);
        for (const [i, cmd] of after.entries()) {
          const a = step(original, world, cmd);
          const b = step(restored, copy, cmd);
          same(b, a, `effects of command ${i} after the snapshot: ${JSON.stringify(cmd)}`);
          same(restored.list(), original.list(), `statuses after command ${i}`);
        }
        same(restored.snapshot(), original.snapshot(), "final state");
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("snapshots are plain data and keep shared definitions shared", () => {
  const engine = new Engine({ initEnv: ["PATH=/bin"] });
  engine.setClasses(parse(FILES, JOBS));
  engine.start("svc", [], {});
  // A changed definition waits for the running instance: two definitions of one job.
  engine.setClasses(parse(CHANGED, JOBS));
  const snap = engine.snapshot();
  assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap);
  const svc = snap.classes.find((c) => c.name === "svc")!;
  assert.equal(typeof svc.pending, "number");
  const inst = snap.instances.find((i) => i.name === "")!;
  assert.equal(inst.cls, svc.spec);
  assert.notEqual(svc.pending, svc.spec);
  // The instance still runs the old definition after a restore, the new one waits.
  const restored = Engine.restore(snap, { initEnv: ["PATH=/bin"] });
  assert.equal(restored.instancesOf("svc")[0]!.cls, restored.getClass("svc"));
  assert.equal(restored.getClass("svc")!.killTimeout, 5);
});

Deno.test("respawn windows move with the new image's clock", () => {
  const engine = new Engine({ initEnv: ["PATH=/bin"] });
  engine.setClasses(parse(FILES, ["resp"]));
  engine.start("resp");
  engine.dispatch({ type: "spawned", instance: 1, process: "main", pid: 7 });
  engine.dispatch({ type: "processExited", pid: 7, status: { code: 1 }, now: 900_000 });
  const before = engine.snapshot().instances[0]!.respawn.since;
  assert.equal(before, 900);
  const restored = Engine.restore(engine.snapshot(), {}, { clockShiftMs: -899_000 });
  assert.equal(restored.snapshot().instances[0]!.respawn.since, 1);
});

Deno.test("a snapshot of another version or with dangling references is refused", () => {
  const engine = new Engine();
  engine.setClasses(parse(FILES, ["svc"]));
  engine.start("svc");
  const snap = engine.snapshot();
  assert.throws(
    () => Engine.restore({ ...snap, version: 2 as typeof SNAPSHOT_VERSION }),
    SnapshotError,
  );
  assert.throws(() => Engine.restore({ ...snap, instances: [] }), SnapshotError);
});
