/**
 * Runs one supervision scenario in a process of its own (becoming a child subreaper affects
 * the whole process, so tests use this through `Deno.Command(Deno.execPath(), ["run", …])`).
 * Prints one JSON line with what it observed; kills and reaps everything it started.
 *
 * Usage: deno run --allow-read --allow-write --allow-run --allow-env --allow-ffi supervise.ts NAME
 */

import type { ExitStatus, SpawnedProcess, SpawnRequest, TrackedProcess } from "../../ports.ts";
import { FdSpawner } from "../fd_spawner.ts";
import { isChildSubreaper, readLink, readText } from "../../../sys/libc.ts";
import { listChildren, readProcStat } from "../../../sys/procfs.ts";
import { Reaper } from "../reaper.ts";
import { spawnRequest } from "../../../tests/fakes/spawn_request.ts";
import { EXPECT_GRACE_MS, EXPECT_SETTLE_MS } from "./run_scenario.ts";

const reaper = new Reaper();
reaper.start();
const spawner = new FdSpawner({
  reaper,
  expectSettleMs: EXPECT_SETTLE_MS,
  expectGraceMs: EXPECT_GRACE_MS,
});
const started: number[] = [];

function request(overrides: Partial<SpawnRequest>): SpawnRequest {
  return spawnRequest({
    job: "scenario",
    env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "UPSTART_JOB=scenario", "UPSTART_INSTANCE="],
    ...overrides,
  });
}

function spawn(overrides: Partial<SpawnRequest>): SpawnedProcess {
  const p = spawner.spawn(request(overrides));
  started.push(p.pid);
  return p;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a tracked pid is: its command name and session, plus how long tracking took. */
async function describe(p: SpawnedProcess): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const tracked: TrackedProcess | null = await p.tracked!;
  const ms = Math.round(performance.now() - t0);
  if (tracked === null) return { tracked: null, ms, main: await p.exited };
  started.push(tracked.pid);
  // A forked survivor is tracked at once, and may still be a moment away from exec'ing its
  // program (until then it is a copy of `sh`): give it a bounded while, as a loaded machine needs.
  let stat = readProcStat(tracked.pid);
  const end = performance.now() + 10_000;
  while (tracked.pid !== p.pid && stat?.comm === "sh" && performance.now() < end) {
    await sleep(10);
    stat = readProcStat(tracked.pid);
  }
  return {
    tracked: tracked.pid,
    isMain: tracked.pid === p.pid,
    comm: stat?.comm ?? null,
    ownSession: stat?.session === tracked.pid,
    ms,
    exit: tracked,
  };
}

/** Kills a tracked process and reports the exit the supervisor saw. */
async function stopTracked(info: Record<string, unknown>): Promise<ExitStatus | null> {
  const tracked = info.exit as TrackedProcess | undefined;
  delete info.exit;
  if (tracked === undefined) return null;
  spawner.kill(tracked.pid, 15, { group: false });
  return await tracked.exited;
}

const scenarios: Record<string, () => Promise<Record<string, unknown>>> = {
  async reaper() {
    const dir = Deno.makeTempDirSync();
    const orphanExits: [number, ExitStatus][] = [];
    reaper.onOrphanExit((pid, status) => orphanExits.push([pid, status]));
    // Two orphans: one ends by itself, one is killed; meanwhile Deno collects its own children.
    const main = spawn({ script: true, command: `sleep 0.2 & echo $! > ${dir}/a\nexit 0\n` });
    const killed = spawn({ script: true, command: `sleep 300 & echo $! > ${dir}/b\nexit 4\n` });
    const own = Array.from(
      { length: 40 },
      (_, i) =>
        new Deno.Command("/bin/sh", { args: ["-c", `exit ${i % 7}`] }).spawn().status
          .then((s) => s.code, (e) => `rejected: ${e}`),
    );
    const output = new Deno.Command("/bin/sh", { args: ["-c", "echo hi; exit 3"], stdout: "piped" })
      .output().then((o) => [o.code, new TextDecoder().decode(o.stdout)], (e) => `rejected: ${e}`);
    const statuses = [await main.exited, await killed.exited];
    const a = Number(readText(`${dir}/a`));
    const b = Number(readText(`${dir}/b`));
    const parentOfB = readProcStat(b)?.ppid;
    Deno.kill(b, "SIGKILL");
    const deadline = performance.now() + 15_000;
    while (orphanExits.length < 2 && performance.now() < deadline) await sleep(10);
    Deno.removeSync(dir, { recursive: true });
    return {
      statuses,
      orphanExits: orphanExits.sort((x, y) => x[0] === a ? -1 : y[0] === a ? 1 : 0),
      orphans: [a, b],
      reparentedToUs: parentOfB === Deno.pid,
      own: await Promise.all(own),
      output: await output,
      waitOrphanAfterTheFact: await reaper.waitOrphan(a),
    };
  },

  async heldOrphan() {
    // While a spawn is under way, an orphan's exit is held (it might be the new child's); once
    // no spawn is under way it is reported and reaped like any orphan.
    const dir = Deno.makeTempDirSync();
    const orphanExits: [number, ExitStatus][] = [];
    reaper.onOrphanExit((pid, status) => orphanExits.push([pid, status]));
    reaper.spawnStarted();
    const main = spawn({ script: true, command: `sleep 0.1 & echo $! > ${dir}/a\nexit 0\n` });
    const mainExit = await main.exited;
    const a = Number(readText(`${dir}/a`));
    const deadline = performance.now() + 15_000;
    while (reaper.held === 0 && performance.now() < deadline) await sleep(10);
    const whileHeld = {
      held: reaper.held,
      reported: orphanExits.length,
      zombie: readProcStat(a)?.state ?? "reaped",
    };
    reaper.spawnEnded();
    Deno.removeSync(dir, { recursive: true });
    return { mainExit, whileHeld, heldAfter: reaper.held, orphanExits, a };
  },

  async fork() {
    return await describe(spawn({ command: "sh -c 'sleep 300 & exit 0'", expect: "fork" }));
  },

  async daemonDouble() {
    return await describe(spawn({ command: "sh -c '( sleep 300 & ) ; exit 0'", expect: "daemon" }));
  },

  async daemonClassic() {
    const command = `sh -c 'setsid sh -c "sleep 300 & exit 0" & exit 0'`;
    return await describe(spawn({ command, expect: "daemon" }));
  },

  async daemonForkedOnce() {
    return await describe(spawn({ command: "setsid -f sleep 300", expect: "daemon" }));
  },

  async scriptWrapper() {
    const command = "echo starting\nsh -c 'sleep 300 & exit 0'\n";
    return await describe(spawn({ script: true, command, expect: "fork" }));
  },

  async neverForks() {
    return await describe(spawn({ command: "sleep 300", expect: "fork" }));
  },

  async exitsWithoutFork() {
    return await describe(spawn({ script: true, command: "exit 5", expect: "daemon" }));
  },

  async stop() {
    const dir = Deno.makeTempDirSync();
    const p = spawn({
      script: true,
      command: `kill -STOP $$\necho resumed > ${dir}/r\n`,
      expect: "stop",
    });
    const info = await describe(p);
    info.mainExit = await p.exited;
    info.resumed = readText(`${dir}/r`);
    delete info.exit;
    Deno.removeSync(dir, { recursive: true });
    return info;
  },

  output() {
    const p = spawn({ command: "sleep 300", console: "output" });
    const same = readLink(`/proc/${p.pid}/fd/1`) === readLink("/proc/self/fd/1");
    const stdin = readLink(`/proc/${p.pid}/fd/0`) === readLink("/proc/self/fd/0");
    return Promise.resolve({ same, stdin });
  },
};

const name = Deno.args[0] ?? "";
const run = scenarios[name];
if (run === undefined) throw new Error(`Cannot run scenario ${JSON.stringify(name)}: unknown`);
const result = await run();
result.subreaper = isChildSubreaper();
if ("exit" in result) result.trackedExit = await stopTracked(result);

// Clean up: every group we started, then every orphan left, then wait until all are reaped.
for (const pid of started) spawner.kill(pid, 9, { group: true });
for (const pid of reaper.orphans()) spawner.kill(pid, 9, { group: true });
const deadline = performance.now() + 15_000;
while (listChildren().length > 0 && performance.now() < deadline) await sleep(10);
result.leftChildren = listChildren().map((pid) => `${pid}:${readProcStat(pid)?.state}`);
reaper.stop();
await Deno.stdout.write(new TextEncoder().encode(`${JSON.stringify(result)}\n`));
