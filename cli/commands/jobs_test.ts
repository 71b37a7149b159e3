import assert from "node:assert/strict";
import type { InstanceStatus } from "../../protocol/methods.ts";
import { rpcError, runInitctl } from "../_fake_client.ts";

const RUNNING: InstanceStatus = {
  job: "svc",
  instance: "",
  goal: "start",
  state: "running",
  processes: [{ process: "main", pid: 17017 }],
};
const STOPPED: InstanceStatus = { ...RUNNING, goal: "stop", state: "waiting", processes: [] };
const IN_JOB = { UPSTART_JOB: "svc", UPSTART_INSTANCE: "i1" };

Deno.test("start prints the status line and waits by default", async () => {
  const r = await runInitctl(["start", "svc", "A=1", "B=two words"], {
    handlers: { "job.start": () => ({ status: RUNNING }) },
  });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, "svc start/running, process 17017\n");
  assert.equal(r.stderr, "");
  assert.deepEqual(r.calls, [{
    method: "job.start",
    params: { job: "svc", env: ["A=1", "B=two words"], wait: true },
  }]);
});

Deno.test("start, stop and restart take -n/--no-wait anywhere", async (t) => {
  for (const verb of ["start", "stop", "restart"] as const) {
    await t.step(verb, async () => {
      const method = `job.${verb}` as const;
      for (const argv of [[verb, "-n", "svc"], [verb, "svc", "--no-wait"]]) {
        const r = await runInitctl(argv, { handlers: { [method]: () => ({ status: STOPPED }) } });
        assert.equal(r.status, 0);
        assert.deepEqual(r.calls, [{ method, params: { job: "svc", env: [], wait: false } }]);
        assert.equal(r.stdout, "svc stop/waiting\n");
      }
    });
  }
});

Deno.test("shortcuts run their command and use their own name in errors", async (t) => {
  for (const prog of ["start", "stop", "restart", "reload", "status"]) {
    await t.step(prog, async () => {
      const r = await runInitctl([], { progName: prog });
      assert.equal(r.status, 1);
      assert.equal(
        r.stderr,
        `${prog}: missing job name\nTry \`${prog} --help' for more information.\n`,
      );
      assert.equal(r.stdout, "");
      assert.deepEqual(r.calls, []);
    });
  }
  await t.step("stop: Unknown instance keeps its trailing space", async () => {
    const r = await runInitctl(["svc"], {
      progName: "stop",
      handlers: {
        "job.stop": () => {
          throw rpcError("UnknownInstance", "Unknown instance: ");
        },
      },
    });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, "stop: Unknown instance: \n");
    assert.equal(r.stdout, "");
  });
});

Deno.test("job commands inside a job act on the caller's instance and never wait", async (t) => {
  for (const verb of ["start", "stop", "restart"] as const) {
    await t.step(verb, async () => {
      const method = `job.${verb}` as const;
      const r = await runInitctl([verb], {
        env: IN_JOB,
        handlers: { [method]: () => ({ status: { ...RUNNING, instance: "i1" } }) },
      });
      assert.equal(r.status, 0);
      assert.deepEqual(r.calls, [{
        method,
        params: { job: "svc", env: [], instance: "i1", wait: false },
      }]);
      assert.equal(r.stdout, "svc (i1) start/running, process 17017\n");
    });
  }
  await t.step("status and reload", async () => {
    const r = await runInitctl(["status"], {
      env: { UPSTART_JOB: "svc", UPSTART_INSTANCE: "" },
      handlers: { "job.status": () => ({ status: RUNNING }) },
    });
    assert.deepEqual(r.calls, [{
      method: "job.status",
      params: { job: "svc", env: [], instance: "" },
    }]);
    const reload = await runInitctl([], {
      progName: "reload",
      env: IN_JOB,
      handlers: { "job.reload": () => ({}) },
    });
    assert.equal(reload.status, 0);
    assert.deepEqual(reload.calls, [{
      method: "job.reload",
      params: { job: "svc", env: [], instance: "i1" },
    }]);
  });
  await t.step("a JOB argument inside a job is a normal request", async () => {
    const r = await runInitctl(["start", "other"], {
      env: IN_JOB,
      handlers: { "job.start": () => ({ status: RUNNING }) },
    });
    assert.deepEqual(r.calls[0]?.params, { job: "other", env: [], wait: true });
  });
  await t.step("UPSTART_JOB without UPSTART_INSTANCE is not inside a job", async () => {
    const r = await runInitctl(["start"], { env: { UPSTART_JOB: "svc" } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^initctl: missing job name\n/);
  });
});

Deno.test("job commands check KEY=VALUE arguments before connecting", async () => {
  for (const bad of ["NOEQUALS", "=value"]) {
    const r = await runInitctl(["start", "svc", "A=1", bad]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, "initctl: Env must be KEY=VALUE pairs\n");
    assert.deepEqual(r.calls, []);
  }
});

Deno.test("job commands print the daemon's error after the program name, exit 1", async (t) => {
  const cases: [string, ReturnType<typeof rpcError>, string][] = [
    ["start", rpcError("UnknownJob", "Unknown job: nosuch"), "initctl: Unknown job: nosuch\n"],
    [
      "start",
      rpcError("AlreadyStarted", "Job is already running: svc"),
      "initctl: Job is already running: svc\n",
    ],
    ["start", rpcError("JobFailed", "Job failed to start"), "initctl: Job failed to start\n"],
    [
      "start",
      rpcError("UnknownParameter", "Unknown parameter: NAME\nUsage: inst NAME=x"),
      "initctl: Unknown parameter: NAME\nUsage: inst NAME=x\n",
    ],
  ];
  for (const [verb, error, expected] of cases) {
    await t.step(expected.trim(), async () => {
      const r = await runInitctl([verb, "svc"], {
        handlers: {
          "job.start": () => {
            throw error;
          },
        },
      });
      assert.equal(r.status, 1);
      assert.equal(r.stderr, expected);
      assert.equal(r.stdout, "");
    });
  }
});

Deno.test("-q suppresses the status line but not errors", async () => {
  const ok = await runInitctl(["-q", "start", "svc"], {
    handlers: { "job.start": () => ({ status: RUNNING }) },
  });
  assert.equal(ok.status, 0);
  assert.equal(ok.stdout, "");
  const quietAfter = await runInitctl(["svc", "--quiet"], {
    progName: "status",
    handlers: { "job.status": () => ({ status: RUNNING }) },
  });
  assert.equal(quietAfter.stdout, "");
  const failed = await runInitctl(["start", "-q", "svc"], {
    handlers: {
      "job.start": () => {
        throw rpcError("UnknownJob", "Unknown job: svc");
      },
    },
  });
  assert.equal(failed.stderr, "initctl: Unknown job: svc\n");
});

Deno.test("reload prints nothing on success", async () => {
  const r = await runInitctl(["reload", "svc", "I=1"], { handlers: { "job.reload": () => ({}) } });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, "");
  assert.deepEqual(r.calls, [{ method: "job.reload", params: { job: "svc", env: ["I=1"] } }]);
  const notRunning = await runInitctl(["reload", "svc"], {
    handlers: {
      "job.reload": () => {
        throw rpcError("NotRunning", "Job is not running: svc");
      },
    },
  });
  assert.equal(notRunning.stderr, "initctl: Job is not running: svc\n");
});

Deno.test("status prints the status line, or JSON with --json", async () => {
  const handlers = { "job.status": () => ({ status: STOPPED }) };
  const r = await runInitctl(["status", "svc"], { handlers });
  assert.equal(r.stdout, "svc stop/waiting\n");
  assert.deepEqual(r.calls, [{ method: "job.status", params: { job: "svc", env: [] } }]);
  const json = await runInitctl(["status", "--json", "svc"], { handlers });
  assert.deepEqual(JSON.parse(json.stdout), STOPPED);
  assert.equal(json.stdout.endsWith("}\n"), true);
});

Deno.test("list prints every instance sorted, or the listing as JSON", async () => {
  const handlers = {
    "job.list": () => ({
      jobs: [
        { job: "svc", instances: [RUNNING] },
        { job: "idle", instances: [] },
      ],
    }),
  };
  const r = await runInitctl(["list"], { handlers });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, "idle stop/waiting\nsvc start/running, process 17017\n");
  assert.deepEqual(r.calls, [{ method: "job.list", params: {} }]);
  const json = await runInitctl(["list", "--json"], { handlers });
  assert.deepEqual(JSON.parse(json.stdout), {
    jobs: [{ job: "idle", instances: [] }, { job: "svc", instances: [RUNNING] }],
  });
});

Deno.test("usage prints Usage: TEXT, even when empty", async () => {
  const r = await runInitctl(["usage", "inst"], {
    handlers: { "job.usage": (p) => ({ usage: p.job === "inst" ? "inst NAME=x" : "" }) },
  });
  assert.equal(r.stdout, "Usage: inst NAME=x\n");
  const empty = await runInitctl(["usage", "other"], {
    handlers: { "job.usage": () => ({ usage: "" }) },
  });
  assert.equal(empty.stdout, "Usage: \n");
  const own = await runInitctl(["usage"], {
    env: IN_JOB,
    handlers: { "job.usage": () => ({ usage: "" }) },
  });
  assert.deepEqual(own.calls, [{ method: "job.usage", params: { job: "svc" } }]);
  const missing = await runInitctl(["usage"]);
  assert.equal(
    missing.stderr,
    "initctl: missing job name\nTry `initctl --help' for more information.\n",
  );
});
