import assert from "node:assert/strict";
import { Daemon } from "./daemon.ts";
import type { Mode } from "./modes/mode.ts";
import { systemMode } from "./modes/system.ts";
import { userMode } from "./modes/user.ts";
import { parseInitOptions } from "./options.ts";
import type { DaemonPorts } from "./ports.ts";
import { FakeClock } from "../tests/fakes/fake_clock.ts";
import { FakeHost, type FakeHostOptions } from "../tests/fakes/fake_host.ts";
import { FakeMachine } from "../tests/fakes/fake_machine.ts";
import { FakeSecurity } from "../tests/fakes/fake_security.ts";
import { FakeSignals } from "../tests/fakes/fake_signals.ts";
import { FakeSpawner } from "../tests/fakes/fake_spawner.ts";
import { MemoryConfFs } from "../tests/fakes/memory_conf_fs.ts";
import { spawnRequest } from "../tests/fakes/spawn_request.ts";

const CONF = "/mem/conf";
const JOBS = {
  [`${CONF}/boot.conf`]: "start on startup\nexec /bin/boot",
  [`${CONF}/cad.conf`]: "start on control-alt-delete\ntask\nexec /bin/cad",
  [`${CONF}/pwr.conf`]: "start on power-status-changed\ntask\nexec /bin/pwr",
  [`${CONF}/orphaned.conf`]: "start on child-subreaper-failed\ntask\nexec /bin/orphaned",
};

interface Rig {
  readonly ports: DaemonPorts & {
    spawner: FakeSpawner;
    clock: FakeClock;
    signals: FakeSignals;
    machine: FakeMachine;
    host: FakeHost;
  };
  readonly socket: string;
  readonly dir: string;
}

async function rig(host: FakeHostOptions = {}): Promise<Rig> {
  const dir = await Deno.makeTempDir({ prefix: "daybreak-daemon-test-" });
  return {
    dir,
    socket: `${dir}/init.sock`,
    ports: {
      spawner: new FakeSpawner({ dieOnSignal: true }),
      clock: new FakeClock(),
      security: new FakeSecurity(),
      signals: new FakeSignals(),
      machine: new FakeMachine(),
      host: new FakeHost(host),
      confFs: new MemoryConfFs(JOBS),
    },
  };
}

function options(r: Rig, extra: string[] = []) {
  return parseInitOptions([
    "--confdir",
    CONF,
    "--socket",
    r.socket,
    "--logdir",
    "/mem/log",
    ...extra,
  ]);
}

/** Sends one JSON-RPC request over the control socket; returns the parsed reply. */
async function call(
  socket: string,
  method: string,
  params: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  try {
    await conn.write(new TextEncoder().encode(
      `${JSON.stringify({ jsonrpc: "2.0", id: 1, method, params })}\n`,
    ));
    let text = "";
    const buf = new Uint8Array(4096);
    while (!text.includes("\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return JSON.parse(text);
  } finally {
    conn.close();
  }
}

/** Lets promise callbacks (the configuration load, socket I/O) run. */
const settle = () => new Promise((r) => setTimeout(r, 0));

async function stopAndClean(r: Rig, daemon: Daemon, status = 0): Promise<void> {
  try {
    assert.equal(await daemon.shutdown("shutdown", status), status);
  } finally {
    await Deno.remove(r.dir, { recursive: true });
  }
}

const spawned = (r: Rig) => r.ports.spawner.spawns.map((p) => p.job);

Deno.test("Daemon.start (user mode): loads jobs, serves the socket, emits startup, writes the session file", async () => {
  const r = await rig({ pid: 4242, euid: 1000, umask: 0o027 });
  const env = { PATH: "/bin", XDG_RUNTIME_DIR: r.dir, HOME: "/mem/home", DENO_DIR: "/x" };
  const daemon = await Daemon.start(userMode(options(r, ["--user"]), env, r.ports.host), r.ports);
  try {
    assert.deepEqual(spawned(r), ["boot"]);
    const boot = r.ports.spawner.spawns[0]!.request;
    assert.equal(boot.umask, 0o027, "user jobs get init's umask");
    assert.equal(boot.chdir, null);
    assert.ok(boot.env.some((e) => e.startsWith("UPSTART_SESSION=")), "jobs know their session");
    assert.ok(!boot.env.some((e) => e.startsWith("DENO_DIR=")), "launcher variables are dropped");
    assert.deepEqual(r.ports.signals.subscribed, ["SIGHUP", "SIGINT", "SIGTERM"]);
    assert.deepEqual(r.ports.host.umasksUsed, [0o177], "the socket is made with mode 0600");
    const reply = await call(r.socket, "daemon.version");
    assert.ok("result" in reply, JSON.stringify(reply));
    const session = `${r.dir}/upstart/sessions/4242.session`;
    assert.match(r.ports.host.files.get(session) ?? "", /^UPSTART_SESSION=/);
    assert.equal(r.ports.host.dirs.get("/mem/log"), 0o700);
    assert.equal(r.ports.host.reaping, "reaping");
  } finally {
    await stopAndClean(r, daemon);
  }
  assert.deepEqual(r.ports.host.files, new Map(), "the session file is removed");
  assert.deepEqual(r.ports.signals.subscribed, [], "every signal subscription ended");
  assert.equal(r.ports.host.reaping, "stopped");
  assert.deepEqual(r.ports.machine.calls, [], "a user session never touches the machine");
});

Deno.test("Daemon.start (system mode, not PID 1): SIGINT and SIGTERM end the daemon with status 0", async () => {
  const r = await rig({ pid: 300, euid: 0 });
  const daemon = await Daemon.start(
    systemMode(options(r), { PATH: "/bin" }, r.ports.host),
    r.ports,
  );
  try {
    const boot = r.ports.spawner.spawns[0]!.request;
    assert.equal(boot.umask, 0o022);
    assert.equal(boot.chdir, "/");
    assert.ok(boot.env.includes("PATH=/bin"));
    assert.ok(!boot.env.some((e) => e.startsWith("UPSTART_SESSION=")), "no session outside --user");
    assert.deepEqual(r.ports.host.umasksUsed, [0o111], "the socket is made with mode 0666");
    r.ports.signals.raise("SIGINT");
    assert.equal(await daemon.exited, 0);
    assert.deepEqual(spawned(r), ["boot"], "SIGINT is not control-alt-delete outside PID 1");
    assert.equal(r.ports.spawner.live.length, 0, "every job was stopped");
  } finally {
    await stopAndClean(r, daemon);
  }
  assert.deepEqual(r.ports.machine.calls, []);
});

Deno.test("Daemon.start (PID 1): the kernel's signals become events; the final shutdown syncs", async () => {
  const r = await rig({ pid: 1, euid: 0 });
  const mode = systemMode(options(r, ["--no-startup-event"]), { PATH: "/bin" }, r.ports.host);
  const daemon = await Daemon.start(mode, r.ports);
  try {
    assert.deepEqual(spawned(r), [], "--no-startup-event");
    r.ports.signals.raise("SIGINT");
    r.ports.signals.raise("SIGPWR");
    assert.deepEqual(spawned(r), ["cad", "pwr"]);
    assert.deepEqual(r.ports.signals.subscribed, [
      "SIGHUP",
      "SIGINT",
      "SIGPWR",
      "SIGTERM",
      "SIGUSR1",
      "SIGWINCH",
    ]);
    // PID 1 never exits on a signal: SIGTERM asks for a re-exec, SIGUSR1 is ignored.
    r.ports.signals.raise("SIGTERM");
    r.ports.signals.raise("SIGUSR1");
    const running = Symbol("running");
    assert.equal(await Promise.race([daemon.exited, settle().then(() => running)]), running);
    assert.deepEqual(r.ports.machine.calls, []);
  } finally {
    await stopAndClean(r, daemon);
  }
  assert.deepEqual(r.ports.machine.calls, ["sync"], "the daemon's own end still syncs");
});

Deno.test("Daemon.start (PID 1): runlevel 0 with no rc job runs the final phase: jobs, TERM, KILL, sync, power-off", async () => {
  const r = await rig({ pid: 1, euid: 0 });
  r.ports.machine.owner = false;
  const mode = systemMode(options(r), { PATH: "/bin" }, r.ports.host);
  const daemon = await Daemon.start(mode, r.ports);
  try {
    assert.deepEqual(spawned(r), ["boot"]);
    assert.equal(r.ports.spawner.live.length, 1);
    const reply = await call(r.socket, "event.emit", {
      name: "runlevel",
      env: ["RUNLEVEL=0", "PREVLEVEL=2", "INIT_HALT=POWEROFF"],
      wait: false,
    });
    assert.ok("result" in reply, JSON.stringify(reply));
    for (let i = 0; i < 100 && r.ports.machine.calls.at(-1) !== "reboot power-off"; i++) {
      r.ports.clock.advance(100);
      await settle();
    }
    assert.deepEqual(r.ports.machine.calls, [
      "killAll 15",
      "killAll 9",
      "sync",
      "sync",
      "reboot power-off",
    ]);
    assert.equal(r.ports.spawner.live.length, 0, "the job was stopped first");
  } finally {
    await stopAndClean(r, daemon);
  }
});

Deno.test("Daemon.start (PID 1): daemon.shutdown asks for the final phase; outside PID 1 it does not exist", async () => {
  const r = await rig({ pid: 1, euid: 0 });
  r.ports.machine.owner = false;
  const daemon = await Daemon.start(
    systemMode(options(r, ["--no-startup-event"]), { PATH: "/bin" }, r.ports.host),
    r.ports,
  );
  try {
    const reply = await call(r.socket, "daemon.shutdown", { action: "reboot" });
    assert.ok("result" in reply, JSON.stringify(reply));
    for (let i = 0; i < 100 && r.ports.machine.calls.at(-1) !== "reboot restart"; i++) {
      r.ports.clock.advance(100);
      await settle();
    }
    assert.equal(r.ports.machine.calls.at(-1), "reboot restart");
  } finally {
    await stopAndClean(r, daemon);
  }
  const r2 = await rig({ pid: 300, euid: 0 });
  const other = await Daemon.start(
    systemMode(options(r2, ["--no-startup-event"]), { PATH: "/bin" }, r2.ports.host),
    r2.ports,
  );
  try {
    const reply = await call(r2.socket, "daemon.shutdown", { action: "halt" });
    assert.equal((reply.error as { code: number }).code, -32601);
    assert.deepEqual(r2.ports.machine.calls, []);
  } finally {
    await stopAndClean(r2, other);
  }
});

Deno.test("Daemon.start: a refused subreaper is reported by the child-subreaper-failed event", async () => {
  const r = await rig({ pid: 300, euid: 0, subreaperFails: true });
  const daemon = await Daemon.start(
    systemMode(options(r), { PATH: "/bin" }, r.ports.host),
    r.ports,
  );
  try {
    await settle();
    assert.deepEqual(spawned(r), ["boot", "orphaned"], "startup first, then the failure");
  } finally {
    await stopAndClean(r, daemon);
  }
});

Deno.test("Daemon.start: a mode's started hook may end the daemon with its own status", async () => {
  const r = await rig({ pid: 300, euid: 0 });
  const base = systemMode(options(r, ["--no-startup-event"]), { PATH: "/bin" }, r.ports.host);
  let finals = 0;
  // What a container mode does: run a main process; its exit ends the daemon with its status.
  const mode: Mode = {
    ...base,
    name: "main-process",
    started: (control) => {
      const main = control.ports.spawner.spawn(spawnRequest({ job: "main", command: "/bin/main" }));
      main.exited.then((s) => void control.shutdown("shutdown", "code" in s ? s.code : 128));
    },
    finalShutdown: () => {
      finals++;
      return Promise.resolve();
    },
  };
  const daemon = await Daemon.start(mode, r.ports);
  try {
    const main = r.ports.spawner.spawns.at(-1)!;
    r.ports.spawner.exit(main.pid, 3);
    assert.equal(await daemon.exited, 3);
    assert.equal(finals, 1);
  } finally {
    await stopAndClean(r, daemon, 3);
  }
});
