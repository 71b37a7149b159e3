// Random sequences of requests, events, process exits and timer firings against a fixed set of
// jobs: the engine must only ever take legal transitions, pair its job events, and come to rest.
import assert from "node:assert/strict";
import fc from "fast-check";
import { EngineHarness } from "../../tests/fakes/engine_harness.ts";
import type { EngineOptions } from "./engine.ts";
import { EngineError } from "./errors.ts";
import { FROM } from "./transitions.ts";
import type { JobState } from "./types.ts";

const FILES = {
  svc: "start on e1\nstop on e2\nexec d",
  work: "start on e2 or started svc\ntask\npre-start exec p\nexec t",
  hooks: "start on e3 and e1\nstop on stopping svc\nexec d\npost-start exec ps\n" +
    "pre-stop exec pst\npost-stop exec po",
  resp: "respawn\nrespawn limit 3 5\nstart on e3\nnormal exit 2\nexec r",
  abs: "start on starting work\nstop on e4",
  inst: "instance $N\nstart on e4\nstop on e1\nexec d\npost-stop exec clean",
  gate: "start on stopping work\ntask\nexec g",
};
const JOBS = Object.keys(FILES);

type Command =
  | { kind: "start" | "stop" | "restart"; job: string; n: string }
  | { kind: "emit"; name: string; n: string }
  | { kind: "exit"; index: number; code: number }
  | { kind: "signal"; index: number }
  | { kind: "advance"; ms: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constantFrom("start" as const, "stop" as const, "restart" as const),
    job: fc.constantFrom(...JOBS),
    n: fc.constantFrom("a", "b"),
  }),
  fc.record({
    kind: fc.constant("emit" as const),
    name: fc.constantFrom("e1", "e2", "e3", "e4"),
    n: fc.constantFrom("a", "b"),
  }),
  fc.record({ kind: fc.constant("exit" as const), index: fc.nat(), code: fc.nat({ max: 2 }) }),
  fc.record({ kind: fc.constant("signal" as const), index: fc.nat() }),
  fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 1, max: 7000 }) }),
);

function run(h: EngineHarness, cmd: Command): void {
  const live = h.spawner.live;
  try {
    switch (cmd.kind) {
      case "start":
      case "stop":
      case "restart":
        h[cmd.kind](cmd.job, [`N=${cmd.n}`]);
        return;
      case "emit":
        h.emit(cmd.name, [`N=${cmd.n}`]);
        return;
      case "exit":
        if (live.length > 0) h.spawner.exit(live[cmd.index % live.length]!.pid, cmd.code);
        return;
      case "signal":
        if (live.length > 0) h.spawner.killBySignal(live[cmd.index % live.length]!.pid, "TERM");
        return;
      case "advance":
        h.advance(cmd.ms);
        return;
    }
  } catch (e) {
    if (!(e instanceof EngineError)) throw e;
  }
}

/** Job events per instance, in order, from `NAME JOB=j INSTANCE=i …` lines. */
function jobEventsByInstance(events: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of events) {
    const m = /^(starting|started|stopping|stopped) JOB=(\S+) INSTANCE=(\S*)/.exec(line);
    if (m === null) continue;
    const key = `${m[2]}/${m[3]}`;
    out.set(key, [...(out.get(key) ?? []), m[1]!]);
  }
  return out;
}

function checkInvariants(h: EngineHarness): void {
  assert.deepEqual(h.messages("error"), [], "no broken invariant was logged");
  for (const { message } of h.logs) {
    const m = /^(\S+(?: \([^)]*\))?) state changed from (\S+) to (\S+)$/.exec(message);
    if (m === null) continue;
    const [from, to] = [m[2] as JobState, m[3] as JobState];
    assert.ok(FROM[to].includes(from), `${m[1]}: ${from} → ${to} is not in FROM`);
  }
  for (const [key, seq] of jobEventsByInstance(h.events)) {
    seq.forEach((name, i) => {
      if (name === "started") assert.equal(seq[i - 1], "starting", `${key}: ${seq.join(",")}`);
      if (name === "stopped") assert.equal(seq[i - 1], "stopping", `${key}: ${seq.join(",")}`);
    });
    const [job, instance] = key.split("/") as [string, string];
    const display = instance === "" ? job : `${job} (${instance})`;
    const destroyed = h.stateChanges(display).filter((c) => c === "post-stop>waiting").length;
    assert.equal(
      seq.filter((n) => n === "stopped").length,
      destroyed,
      `${key}: one stopped per stop`,
    );
  }
}

/**
 * Ends every process and fires every timer. Status 2 is a `normal exit` of the respawning job,
 * so it stops instead of respawning (with back-off it would never give up).
 */
function settle(h: EngineHarness): void {
  for (let round = 0; round < 100; round++) {
    for (let live = h.spawner.live; live.length > 0; live = h.spawner.live) {
      for (const p of live) if (p.alive) h.spawner.exit(p.pid, 2);
    }
    if (h.clock.pending.length === 0) return;
    h.advance(60_000);
  }
  assert.fail("the engine never came to rest");
}

const OPTION_SETS: readonly [string, EngineOptions][] = [
  ["Upstart behaviour", {}],
  ["every docs/behaviour.md#upstart-fixes fix on", {
    restartKeepsEnv: true,
    restartFullCycle: true,
    stopInterruptsHooks: true,
    hookTimeout: 3,
    respawnBackoff: { baseMs: 500, maxMs: 4000 },
  }],
];

for (const [label, options] of OPTION_SETS) {
  Deno.test(`random inputs keep the machine legal and it comes to rest (${label})`, () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), (commands) => {
        const h = new EngineHarness(FILES, { engine: options });
        for (const cmd of commands) run(h, cmd);
        checkInvariants(h);
        settle(h);
        checkInvariants(h);
        for (const job of JOBS) {
          for (const inst of h.engine.instancesOf(job)) {
            assert.equal(inst.state, "running", `${job} (${inst.name}) rests in ${inst.state}`);
            assert.deepEqual(h.engine.status(job, [`N=${inst.name}`]).processes, []);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
}
