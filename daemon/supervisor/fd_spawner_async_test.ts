/**
 * Spawns off the JS thread (`FdSpawner.spawnAsync`) with real processes: storms, children that
 * end before their pid is known, failures, the children's signal state, and the engine driver
 * stopping a job whose spawn is still under way.
 */
import assert from "node:assert/strict";
import { Engine } from "../engine/engine.ts";
import { EngineDriver } from "../engine_driver.ts";
import { type ExitStatus, SpawnError, type SpawnRequest } from "../ports.ts";
import { systemClock } from "../system_clock.ts";
import { listDir } from "../../sys/libc.ts";
import { posixSpawnp } from "../../sys/posix_spawn.ts";
import { listChildren, readProcStat, readStatus } from "../../sys/procfs.ts";
import { jobs } from "../../tests/fakes/engine_harness.ts";
import { FakeSecurity } from "../../tests/fakes/fake_security.ts";
import { spawnRequest, TEST_PATH } from "../../tests/fakes/spawn_request.ts";
import { FdSpawner } from "./fd_spawner.ts";
import { runScenario } from "./testdata/run_scenario.ts";
import { Reaper } from "./reaper.ts";

const reaper = new Reaper();
const spawner = new FdSpawner({ reaper, logDrainMs: 100 });

function request(overrides: Partial<SpawnRequest>): SpawnRequest {
  return spawnRequest({ env: [TEST_PATH], ...overrides });
}

function zombies(): number[] {
  return listChildren().filter((pid) => readProcStat(pid)?.state === "Z");
}

function openFds(): number {
  return listDir("/proc/self/fd").length; // Deno refuses to list /proc without --allow-all
}

async function clean(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } finally {
    await spawner.loop.idle();
  }
  assert.deepEqual(zombies(), [], "no zombie child is left");
  assert.equal(reaper.watching, 0, "every watched pid was collected");
  assert.equal(reaper.held, 0, "no exit is held back");
  assert.equal(spawner.spawnsPending, 0);
}

Deno.test("a storm of 1,000 spawns off the JS thread: every exit with its own status", async () => {
  await clean(async () => {
    const procs = await Promise.all(
      Array.from(
        { length: 1000 },
        (_, i) => spawner.spawnAsync(request({ command: `/bin/sh -c "exit ${i % 13}"` })),
      ),
    );
    const statuses = await Promise.all(procs.map((p) => p.exited));
    assert.deepEqual(statuses, procs.map((_, i) => ({ code: i % 13 })));
    assert.equal(new Set(procs.map((p) => p.pid)).size, 1000);
  });
});

Deno.test("a storm of console log spawns off the JS thread: each log whole", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    await clean(async () => {
      const procs = await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          spawner.spawnAsync(request({
            job: `j${i}`,
            console: "log",
            logDir: dir,
            command: `/bin/sh -c "echo out ${i}; echo err ${i} >&2"`,
          }))),
      );
      await Promise.all(procs.map((p) => p.exited));
      for (let i = 0; i < 300; i += 37) {
        assert.equal(Deno.readTextFileSync(`${dir}/j${i}.log`), `out ${i}\nerr ${i}\n`);
      }
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("the reaper holds the exit of a child whose spawn has not named it yet", async () => {
  await clean(async () => {
    reaper.spawnStarted();
    // Spawned behind the reaper's back: it stands for a child whose pid is still on its way.
    const pid = posixSpawnp({
      file: "/bin/sh",
      argv: ["sh", "-c", "exit 7"],
      env: [TEST_PATH],
      sigmask: [],
      sigdefault: [],
      setsid: true,
    });
    for (
      const end = Date.now() + 15_000;
      (readProcStat(pid)?.state ?? "Z") !== "Z" && Date.now() < end;
    ) {
      await new Promise((r) => setTimeout(r, 2));
    }
    reaper.scan();
    assert.equal(readProcStat(pid), null, "reaped");
    assert.equal(reaper.held, 1);
    const status = await new Promise<ExitStatus>((resolve) => reaper.watch(pid, resolve));
    assert.deepEqual(status, { code: 7 }, "the late watch gets the status");
    assert.equal(reaper.held, 0);
    reaper.spawnEnded();
  });
});

Deno.test("children that end at once, spawned in bursts, all report their status", async () => {
  await clean(async () => {
    for (let round = 0; round < 5; round++) {
      const procs = await Promise.all(
        Array.from({ length: 40 }, () => spawner.spawnAsync(request({ command: "/bin/true" }))),
      );
      const statuses = await Promise.all(procs.map((p) => p.exited));
      assert.deepEqual(statuses, procs.map(() => ({ code: 0 })));
    }
  });
});

Deno.test("spawn failures off the JS thread reject with Upstart's reasons; no fd is left", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    // Found and executable, but its interpreter is missing: the exec itself fails.
    const badInterp = `${dir}/bad`;
    Deno.writeTextFileSync(badInterp, "#!/no/such/interpreter\n");
    Deno.chmodSync(badInterp, 0o755);
    await clean(async () => {
      const before = openFds();
      const results = await Promise.allSettled([
        spawner.spawnAsync(request({ command: "/bin/true" })),
        spawner.spawnAsync(request({ command: "/no/such/program", console: "log", logDir: dir })),
        spawner.spawnAsync(request({ command: badInterp, console: "log", logDir: dir })),
        spawner.spawnAsync(request({ command: "/bin/true" })),
      ]);
      assert.deepEqual(results.map((r) => r.status), [
        "fulfilled",
        "rejected",
        "rejected",
        "fulfilled",
      ]);
      for (const r of results) {
        if (r.status === "fulfilled") {
          assert.deepEqual(await r.value.exited, { code: 0 });
        } else {
          assert.ok(r.reason instanceof SpawnError);
          assert.equal(r.reason.reason, "unable to execute: No such file or directory");
        }
      }
      assert.equal(openFds(), before, "the failed spawns' log pipes are closed");
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a job spawned off the JS thread starts with no blocked or ignored signal", async () => {
  await clean(async () => {
    const procs = await Promise.all(
      Array.from({ length: 4 }, () => spawner.spawnAsync(request({ command: "/bin/sleep 5" }))),
    );
    try {
      for (const p of procs) {
        const status = readStatus(p.pid) ?? "";
        assert.match(status, /^SigBlk:\s*0000000000000000$/m);
        assert.match(status, /^SigIgn:\s*0000000000000000$/m);
        assert.equal(readProcStat(p.pid)!.session, p.pid, "it leads its own session");
      }
    } finally {
      for (const p of procs) spawner.kill(p.pid, 9, { group: true });
    }
    for (const p of procs) assert.deepEqual(await p.exited, { signal: 9 });
  });
});

Deno.test("a job stopped while its spawn is under way is killed once its pid arrives", async () => {
  await clean(async () => {
    const engine = new Engine();
    const log: string[] = [];
    const driver = new EngineDriver(engine, {
      spawner,
      clock: systemClock,
      security: new FakeSecurity(),
      log: (_p, m) => log.push(m),
    }, { defaultConsole: "none", logDir: null, umask: 0o022, chdir: null });
    const files: Record<string, string> = {};
    for (let i = 0; i < 12; i++) files[`s${i}`] = `env PATH=/usr/bin:/bin\nexec sleep 100`;
    driver.run((e) => e.setClasses(jobs(files)));
    driver.run((e) => Array.from({ length: 12 }, (_, i) => e.start(`s${i}`)).flat());
    assert.ok(driver.spawning > 0, "spawns are under way");
    assert.deepEqual(engine.status("s11").processes, [], "s11 has no pid yet");
    driver.run((e) => e.stop("s11"));
    await driver.spawnsSettled();
    const spawned = log.find((m) => m.startsWith("s11 main process ("));
    const pid = Number(/\((\d+)\)/.exec(spawned ?? "")?.[1]);
    assert.ok(pid > 0, "its pid arrived");
    for (
      const end = Date.now() + 15_000;
      engine.status("s11").state !== "waiting" && Date.now() < end;
    ) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(engine.status("s11").state, "waiting");
    assert.ok(log.includes(`s11 main process (${pid}) killed by TERM signal`));
    assert.equal(engine.status("s0").state, "running");
    driver.run((e) => Array.from({ length: 11 }, (_, i) => e.stop(`s${i}`)).flat());
    await driver.whenIdle();
  });
});

Deno.test("an orphan's exit held while a spawn is under way is reported once none is", async () => {
  const r = await runScenario("heldOrphan");
  assert.equal(r.subreaper, true);
  assert.deepEqual(r.mainExit, { code: 0 });
  assert.deepEqual(r.whileHeld, { held: 1, reported: 0, zombie: "reaped" });
  assert.equal(r.heldAfter, 0);
  assert.deepEqual(r.orphanExits, [[r.a, { code: 0 }]]);
  assert.deepEqual(r.leftChildren, []);
});

Deno.test("a lone spawn is made at once; the next in the same turn goes off the JS thread", async () => {
  await clean(async () => {
    await new Promise((r) => setTimeout(r, 5)); // no spawn made on the spot in this turn
    const first = spawner.spawnAsync(request({ command: "/bin/true" }));
    const second = spawner.spawnAsync(request({ command: "/bin/true" }));
    assert.ok(!(first instanceof Promise) && first.pid > 0, "the lone spawn's pid is known now");
    assert.ok(second instanceof Promise, "a second one in the same turn waits for its pid");
    for (const p of [first, await second]) assert.deepEqual(await p.exited, { code: 0 });
  });
});

Deno.test("with no spawns in flight allowed, every spawn is made at once on the JS thread", async () => {
  const onThread = new FdSpawner({ reaper, spawnsInFlight: 0 });
  const procs = Array.from(
    { length: 5 },
    () => onThread.spawnAsync(request({ command: "/bin/true" })),
  );
  for (const p of procs) {
    assert.ok(!(p instanceof Promise));
    assert.deepEqual(await p.exited, { code: 0 });
  }
  assert.equal(onThread.spawnsPending, 0);
});
