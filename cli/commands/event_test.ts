import assert from "node:assert/strict";
import { rpcError, runInitctl } from "../_fake_client.ts";

Deno.test("emit sends the name and variables in order and waits", async () => {
  const r = await runInitctl(["emit", "net-up", "IFACE=eth0", "ADDR=a=b"], {
    handlers: { "event.emit": () => ({}) },
  });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr, "");
  assert.deepEqual(r.calls, [{
    method: "event.emit",
    params: { name: "net-up", env: ["IFACE=eth0", "ADDR=a=b"], wait: true },
  }]);
});

Deno.test("emit -n does not wait; any name is allowed", async () => {
  for (const argv of [["emit", "-n", "a/b"], ["emit", "a/b", "--no-wait"]]) {
    const r = await runInitctl(argv, { handlers: { "event.emit": () => ({}) } });
    assert.deepEqual(r.calls, [{
      method: "event.emit",
      params: { name: "a/b", env: [], wait: false },
    }]);
  }
});

Deno.test("emit without an event is a usage error", async () => {
  const r = await runInitctl(["emit", "-n"]);
  assert.equal(r.status, 1);
  assert.equal(
    r.stderr,
    "initctl: missing event name\nTry `initctl --help' for more information.\n",
  );
  assert.deepEqual(r.calls, []);
});

Deno.test("emit checks the name, then the variables, before connecting", async () => {
  const empty = await runInitctl(["emit", "", "NOPE"]);
  assert.equal(empty.status, 1);
  assert.equal(empty.stderr, "initctl: Name may not be empty string\n");
  const env = await runInitctl(["emit", "ev", "A=1", "NOPE"]);
  assert.equal(env.status, 1);
  assert.equal(env.stderr, "initctl: Env must be KEY=VALUE pairs\n");
  assert.deepEqual([...empty.calls, ...env.calls], []);
});

Deno.test("emit reports a failed event with exit status 1", async () => {
  const r = await runInitctl(["emit", "ev"], {
    handlers: {
      "event.emit": () => {
        throw rpcError("EventFailed", "Event failed");
      },
    },
  });
  assert.equal(r.status, 1);
  assert.equal(r.stderr, "initctl: Event failed\n");
});
