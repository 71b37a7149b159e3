import assert from "node:assert/strict";
import { RecordingOutput } from "../cli/io.ts";
import {
  type JobTool,
  parseServiceArgs,
  service,
  SERVICE_USAGE,
  SERVICE_VERSION,
  type ServiceDeps,
} from "./service.ts";

interface Script {
  readonly exec?: boolean;
  /** Exit status and output of `status`. */
  readonly status?: [number, string];
  readonly code?: number;
}

function world(scripts: Record<string, Script>, jobs: Record<string, number> = {}) {
  const io = new RecordingOutput();
  const ran: { argv: readonly string[]; env: Record<string, string>; capture: boolean }[] = [];
  const tools: string[] = [];
  const deps: ServiceDeps = {
    env: {
      LANG: "C.UTF-8",
      PATH: "/usr/bin:/bin",
      TERM: "dumb",
      SECRET: "x",
      UPSTART_SESSION: "y",
    },
    initdDir: "/etc/init.d",
    fs: {
      list: (dir) => (dir === "/etc/init.d" ? Object.keys(scripts) : null),
      isExecutable: (path) => {
        const s = scripts[path.replace(/^\/etc\/init\.d\//, "")];
        return s !== undefined && s.exec !== false;
      },
    },
    runScript(argv, env, capture) {
      ran.push({ argv, env: { ...env }, capture });
      const s = scripts[(argv[0] as string).replace(/^\/etc\/init\.d\//, "")] ?? {};
      if (argv[1] === "status" && s.status) {
        return Promise.resolve({ code: s.status[0], output: s.status[1] });
      }
      return Promise.resolve({ code: s.code ?? 0, output: "" });
    },
    runTool(tool: JobTool, args, quiet) {
      tools.push(`${tool} ${args.join(" ")}${quiet ? " (quiet)" : ""}`);
      const name = args[tool === "initctl" ? 1 : 0] as string;
      if (!(name in jobs)) return Promise.resolve(1);
      return Promise.resolve(tool === "initctl" ? 0 : jobs[name] as number);
    },
    io,
  };
  return { deps, io, ran, tools };
}

Deno.test("service: usage, help and version go to stderr with Debian's exit codes", async () => {
  for (
    const [argv, code, text] of [
      [[], 1, SERVICE_USAGE],
      [["--help"], 0, SERVICE_USAGE],
      [["cron", "-h"], 0, SERVICE_USAGE],
      [["--hello"], 0, SERVICE_USAGE],
      [["-V"], 0, SERVICE_VERSION],
      [["cron", "start", "--version"], 0, SERVICE_VERSION],
    ] as const
  ) {
    const w = world({ cron: {} });
    assert.equal(await service(argv, w.deps), code, argv.join(" "));
    assert.equal(w.io.stderr, `${text}\n`);
    assert.equal(w.io.stdout, "");
    assert.equal(w.ran.length + w.tools.length, 0);
  }
});

Deno.test("service --status-all: + - and ? lines, sorted, skipping Debian's list", async () => {
  const w = world({
    zeta: { status: [0, "zeta is running\n"] },
    cron: { status: [3, "cron is not running\n"] },
    quiet: { status: [0, "\n\n"] },
    hwclock: { status: [1, "Usage: hwclock {start|stop}\n"] },
    rc: { status: [0, "x"] },
    "x.dpkg-old": { status: [0, "x"] },
    README: {},
    noexec: { exec: false, status: [0, "x"] },
    ".hidden": { status: [0, "x"] },
  });
  assert.equal(await service(["--status-all"], w.deps), 0);
  assert.equal(w.io.stdout, " [ - ]  cron\n [ - ]  quiet\n [ + ]  zeta\n");
  assert.equal(w.io.stderr, " [ ? ]  hwclock\n");
  assert.deepEqual(w.ran.map((r) => r.argv.join(" ")), [
    "/etc/init.d/cron status",
    "/etc/init.d/hwclock status",
    "/etc/init.d/quiet status",
    "/etc/init.d/zeta status",
  ]);
  assert.ok(w.ran.every((r) => r.capture));
  assert.deepEqual(w.ran[0]?.env, { LANG: "C.UTF-8", PATH: "/usr/bin:/bin", TERM: "dumb" });
});

Deno.test("service --status-all: native jobs from the daemon's state, without their scripts", async () => {
  const w = world({
    // A native job whose script would claim otherwise (Ubuntu's scripts defer to Upstart).
    ssh: { status: [1, "Usage: /etc/init.d/ssh {start|stop}\n"] },
    idle: { status: [0, "idle is running\n"] },
    cron: { status: [0, "cron is running\n"] },
  });
  const asked: string[] = [];
  const deps = {
    ...w.deps,
    nativeJobs: () => {
      asked.push("jobs");
      return Promise.resolve(new Map([["ssh", true], ["idle", false], ["other", true]]));
    },
  };
  assert.equal(await service(["--status-all"], deps), 0);
  assert.equal(w.io.stdout, " [ + ]  cron\n [ - ]  idle\n [ + ]  ssh\n");
  assert.equal(w.io.stderr, "");
  assert.deepEqual(w.ran.map((r) => r.argv.join(" ")), ["/etc/init.d/cron status"]);
  assert.deepEqual(asked, ["jobs"]);
  // No daemon to ask: every script speaks for itself.
  const alone = world({ ssh: { status: [1, "Usage: x\n"] } });
  await service(["--status-all"], { ...alone.deps, nativeJobs: () => Promise.resolve(null) });
  assert.equal(alone.io.stderr, " [ ? ]  ssh\n");
});

Deno.test("service: a SysV script runs with a clean environment and its exit status", async () => {
  const w = world({ cron: { code: 3 } });
  assert.equal(await service(["cron", "status", "-v", "x"], w.deps), 3);
  assert.deepEqual(w.ran, [{
    argv: ["/etc/init.d/cron", "status", "-v", "x"],
    env: { LANG: "C.UTF-8", PATH: "/usr/bin:/bin", TERM: "dumb" },
    capture: false,
  }]);
  assert.deepEqual(w.tools, ["initctl status cron (quiet)"]);
  const unset = world({ cron: {} });
  unset.deps = { ...unset.deps, env: {} };
  await service(["cron", "start"], unset.deps);
  assert.deepEqual(unset.ran[0]?.env, { LANG: "", PATH: "", TERM: "" });
});

Deno.test("service: unknown names and paths are unrecognized services", async () => {
  for (const argv of [["nope", "start"], ["../bin/sh", "x"], ["--status-all", "x"]]) {
    const w = world({ noexec: { exec: false } });
    assert.equal(await service(argv, w.deps), 1);
    assert.equal(w.io.stderr, `${argv[0]}: unrecognized service\n`);
    assert.equal(w.ran.length, 0);
  }
});

Deno.test("service: native jobs go through the job commands; restart is stop then start", async () => {
  const w = world({ ssh: { code: 9 } }, { ssh: 0, web: 1 });
  assert.equal(await service(["web", "start", "PORT=80"], w.deps), 1);
  assert.equal(await service(["ssh", "restart"], w.deps), 0);
  assert.equal(await service(["ssh", "force-reload"], w.deps), 0);
  assert.equal(await service(["ssh", "reload"], w.deps), 0);
  assert.deepEqual(w.tools, [
    "initctl status web (quiet)",
    "start web PORT=80",
    "initctl status ssh (quiet)",
    "stop ssh",
    "start ssh",
    "initctl status ssh (quiet)",
    "stop ssh",
    "start ssh",
    "initctl status ssh (quiet)",
    "reload ssh",
  ]);
  assert.equal(w.ran.length, 0);
  // Another action falls through to the SysV script.
  assert.equal(await service(["ssh", "configtest"], w.deps), 9);
  assert.deepEqual(w.ran.map((r) => r.argv.join(" ")), ["/etc/init.d/ssh configtest"]);
});

Deno.test("service NAME --full-restart: the script's stop then start", async () => {
  const w = world({ cron: { code: 4 } });
  assert.equal(await service(["cron", "--full-restart"], w.deps), 4);
  assert.deepEqual(w.ran.map((r) => r.argv.join(" ")), [
    "/etc/init.d/cron stop",
    "/etc/init.d/cron start",
  ]);
  // Without a script Debian takes --full-restart as the service's name.
  const none = world({});
  assert.equal(await service(["nope", "--full-restart"], none.deps), 1);
  assert.equal(none.io.stderr, "--full-restart: unrecognized service\n");
});

Deno.test("service: argument parsing follows Debian's loop", () => {
  const yes = () => true;
  assert.deepEqual(parseServiceArgs(["--status-all"], yes), { kind: "status-all" });
  assert.deepEqual(parseServiceArgs(["a", "b", "c", "d"], yes), {
    kind: "action",
    service: "a",
    action: "b",
    options: ["c", "d"],
  });
  assert.deepEqual(parseServiceArgs(["a"], yes), {
    kind: "action",
    service: "a",
    action: "",
    options: [],
  });
});
