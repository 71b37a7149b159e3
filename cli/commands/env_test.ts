import assert from "node:assert/strict";
import { rpcError, runInitctl } from "../_fake_client.ts";

const IN_JOB = { UPSTART_JOB: "svc", UPSTART_INSTANCE: "i1" };
const CALLER = { job: "svc", instance: "i1" };

Deno.test("list-env prints KEY=VALUE lines sorted in byte order", async () => {
  const r = await runInitctl(["list-env"], {
    handlers: { "env.list": () => ({ env: ["b=2", "PATH=/bin", "A-B=3", "A=1", "_x="] }) },
  });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, "A-B=3\nA=1\nPATH=/bin\n_x=\nb=2\n");
  assert.deepEqual(r.calls, [{ method: "env.list", params: { global: false } }]);
  const json = await runInitctl(["list-env", "--json"], {
    handlers: { "env.list": () => ({ env: ["b=2", "A=1"] }) },
  });
  assert.deepEqual(JSON.parse(json.stdout), { env: ["A=1", "b=2"] });
});

Deno.test("env commands inside a job name the caller unless -g", async (t) => {
  await t.step("inside a job", async () => {
    const r = await runInitctl(["list-env"], {
      env: IN_JOB,
      handlers: { "env.list": () => ({ env: [] }) },
    });
    assert.deepEqual(r.calls, [{ method: "env.list", params: { global: false, caller: CALLER } }]);
    assert.equal(r.stdout, "");
  });
  await t.step("-g inside a job", async () => {
    const r = await runInitctl(["reset-env", "-g"], {
      env: IN_JOB,
      handlers: { "env.reset": () => ({}) },
    });
    assert.deepEqual(r.calls, [{ method: "env.reset", params: { global: true } }]);
  });
  await t.step("--global outside a job", async () => {
    const r = await runInitctl(["unset-env", "--global", "A"], {
      handlers: { "env.unset": () => ({}) },
    });
    assert.deepEqual(r.calls, [{ method: "env.unset", params: { names: ["A"], global: true } }]);
  });
});

Deno.test("get-env prints the bare value; a missing variable is the daemon's error", async () => {
  const r = await runInitctl(["get-env", "FOO"], {
    env: IN_JOB,
    handlers: { "env.get": () => ({ value: "a b" }) },
  });
  assert.equal(r.stdout, "a b\n");
  assert.deepEqual(r.calls, [{
    method: "env.get",
    params: { name: "FOO", global: false, caller: CALLER },
  }]);
  const json = await runInitctl(["get-env", "--json", "FOO"], {
    handlers: { "env.get": () => ({ value: "" }) },
  });
  assert.deepEqual(JSON.parse(json.stdout), { name: "FOO", value: "" });
  const missing = await runInitctl(["get-env", "FOO"], {
    handlers: {
      "env.get": () => {
        throw rpcError("NoSuchVariable", "No such variable: FOO");
      },
    },
  });
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr, "initctl: No such variable: FOO\n");
});

Deno.test("set-env sets VAR alone to empty and passes --retain", async () => {
  const r = await runInitctl(["set-env", "FOO=1", "BAR", "-r", "BAZ=a=b"], {
    handlers: { "env.set": () => ({}) },
  });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, "");
  assert.deepEqual(r.calls, [{
    method: "env.set",
    params: { vars: ["FOO=1", "BAR=", "BAZ=a=b"], retain: true, global: false },
  }]);
  const pid1 = await runInitctl(["set-env", "FOO=1"], {
    handlers: {
      "env.set": () => {
        throw rpcError("NotPermissible", "Not permissible to modify PID 1 job environment");
      },
    },
  });
  assert.equal(pid1.stderr, "initctl: Not permissible to modify PID 1 job environment\n");
  assert.deepEqual(pid1.calls[0]?.params, { vars: ["FOO=1"], retain: false, global: false });
});

Deno.test("get-env, set-env and unset-env need a variable name", async (t) => {
  for (const verb of ["get-env", "set-env", "unset-env"]) {
    await t.step(verb, async () => {
      const r = await runInitctl([verb, "-g"]);
      assert.equal(r.status, 1);
      assert.equal(
        r.stderr,
        "initctl: missing variable name\nTry `initctl --help' for more information.\n",
      );
      assert.deepEqual(r.calls, []);
    });
  }
});

Deno.test("set-env -r is only an option of set-env", async () => {
  const r = await runInitctl(["unset-env", "-r", "A"]);
  assert.equal(r.status, 1);
  assert.equal(
    r.stderr,
    "initctl: invalid option: -r\nTry `initctl --help' for more information.\n",
  );
});
