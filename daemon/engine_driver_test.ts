import assert from "node:assert/strict";
import { Engine } from "./engine/engine.ts";
import { EngineDriver } from "./engine_driver.ts";
import type { ExitStatus, ProcessSpawner, SpawnedProcess, SpawnRequest } from "./ports.ts";
import { FakeClock } from "../tests/fakes/fake_clock.ts";
import { FakeSecurity } from "../tests/fakes/fake_security.ts";
import { FakeSpawner } from "../tests/fakes/fake_spawner.ts";
import { jobs } from "../tests/fakes/engine_harness.ts";

const DEFAULTS = { defaultConsole: "log", logDir: "/var/log/x", umask: 0o027, chdir: "/" } as const;

function setup(files: Record<string, string>, spawner: ProcessSpawner = new FakeSpawner()) {
  const engine = new Engine();
  const clock = new FakeClock();
  const security = new FakeSecurity();
  const log: string[] = [];
  const driver = new EngineDriver(engine, {
    spawner,
    clock,
    security,
    log: (p, m) => log.push(`${p}: ${m}`),
  }, DEFAULTS);
  driver.run((e) => e.setClasses(jobs(files)));
  return { engine, clock, security, log, driver };
}

Deno.test("EngineDriver: a spawn request carries the daemon's defaults unless the job sets them", () => {
  const spawner = new FakeSpawner();
  const { driver } = setup({
    plain: "exec /bin/plain",
    own: "console none\numask 077\nchdir /srv\nexpect fork\npre-start exec /bin/pre\nexec /bin/own",
  }, spawner);
  driver.run((e) => e.start("plain", []));
  driver.run((e) => e.start("own", []));
  const [plain, pre] = spawner.spawns.map((p) => p.request);
  assert.equal(plain?.console, "log");
  assert.equal(plain?.umask, 0o027);
  assert.equal(plain?.chdir, "/");
  assert.equal(plain?.logDir, "/var/log/x");
  assert.equal(pre?.process, "pre-start");
  assert.equal(pre?.console, "none");
  assert.equal(pre?.umask, 0o077);
  assert.equal(pre?.chdir, "/srv");
  assert.equal(pre?.expect, "none", "expect applies to the main process only");
});

Deno.test("EngineDriver: a spawn that throws becomes spawnFailed and fails the job", () => {
  const spawner = new FakeSpawner();
  spawner.failSpawns("j", "main", "unable to execute: No such file or directory");
  const { driver, engine, log } = setup({ j: "exec /nonexistent" }, spawner);
  driver.run((e) => e.start("j", []));
  assert.equal(engine.status("j").state, "waiting");
  assert.ok(log.includes(
    "warn: Failed to spawn j main process: unable to execute: No such file or directory",
  ));
  assert.deepEqual(driver.livePids(), []);
});

Deno.test("EngineDriver: timers go through the clock and come back as timer inputs", () => {
  const spawner = new FakeSpawner();
  const { driver, clock, engine } = setup({ j: "kill timeout 3\nexec d" }, spawner);
  driver.run((e) => e.start("j", []));
  const pid = spawner.find("j")!.pid;
  driver.run((e) => e.stop("j", []));
  assert.deepEqual(spawner.kills, [{ pid, signal: 15, group: true }]);
  assert.equal(clock.pending.length, 1, "the kill timer is armed");
  clock.advance(2999);
  assert.equal(spawner.kills.length, 1);
  clock.advance(1);
  assert.deepEqual(spawner.kills[1], { pid, signal: 9, group: true });
  spawner.killBySignal(pid, "KILL");
  assert.equal(engine.status("j").state, "waiting");
  assert.deepEqual(clock.pending, []);
});

Deno.test("EngineDriver: an effect that throws is logged and the others still apply", () => {
  const fake = new FakeSpawner();
  const spawner: ProcessSpawner = {
    spawn: (req) => fake.spawn(req),
    kill: () => {
      throw new Error("EPERM");
    },
  };
  const { driver, clock, log } = setup({ j: "exec d" }, spawner);
  driver.run((e) => e.start("j", []));
  driver.run((e) => e.stop("j", []));
  assert.ok(log.includes("error: Failed to apply kill: EPERM"));
  assert.equal(clock.pending.length, 1, "the kill timer after the failed kill still armed");
});

Deno.test("EngineDriver: waiters hear the outcome; whenIdle waits for the last instance", async () => {
  const spawner = new FakeSpawner();
  const { driver } = setup({ t: "task\nexec work" }, spawner);
  const { id, done } = driver.waiter();
  driver.run((e) => e.start("t", [], { waiterId: id }));
  let idle = false;
  const whenIdle = driver.whenIdle().then(() => (idle = true));
  assert.deepEqual(driver.livePids(), [spawner.find("t")!.pid]);
  await Promise.resolve();
  assert.equal(idle, false);
  spawner.exit(spawner.find("t")!.pid, 0);
  const result = await done;
  assert.ok(result.ok && result.status?.state === "waiting");
  await whenIdle;
  assert.deepEqual(driver.livePids(), []);
});

Deno.test("EngineDriver: a rejected security load is a failed securityLoaded", async () => {
  const spawner = new FakeSpawner();
  const { driver, engine, security } = setup({ s: "apparmor load /p\nexec d" }, spawner);
  driver.run((e) => e.start("s", []));
  assert.deepEqual(security.loads.map((l) => [l.profile, l.job]), [["/p", "s"]]);
  assert.equal(engine.status("s").state, "security");
  security.loads[0]!.settle({ ok: false, message: "parser failed" });
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(engine.status("s").state, "waiting");
  assert.equal(spawner.spawns.length, 0);
});

Deno.test("EngineDriver: expect fork follows the forked pid; its exit ends the job", async () => {
  let fork!: (status: ExitStatus) => void;
  let parentExit!: (status: ExitStatus) => void;
  const requests: SpawnRequest[] = [];
  const spawner: ProcessSpawner = {
    spawn(req): SpawnedProcess {
      requests.push(req);
      return {
        pid: 100,
        exited: new Promise((r) => (parentExit = r)),
        tracked: Promise.resolve({ pid: 101, exited: new Promise((r) => (fork = r)) }),
      };
    },
    kill() {},
  };
  const { driver, engine } = setup({ f: "expect fork\nexec daemon" }, spawner);
  driver.run((e) => e.start("f", []));
  assert.equal(requests[0]?.expect, "fork");
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(driver.livePids(), [101]);
  assert.equal(engine.status("f").state, "running");
  parentExit({ code: 0 });
  fork({ code: 1 });
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(driver.livePids(), []);
  assert.equal(engine.status("f").state, "waiting");
});

Deno.test("EngineDriver: each event is logged as handled once", () => {
  const { driver, log } = setup({ j: "start on ping\nexec /bin/j" });
  driver.run((e) => e.emit("ping", []));
  assert.deepEqual(log.filter((l) => l.includes("Handling ping event")), [
    "info: Handling ping event",
  ]);
});
