import assert from "node:assert/strict";
import type { Result } from "../../protocol/methods.ts";
import { rpcError, runInitctl } from "../_fake_client.ts";
import { formatCheckReport } from "./config.ts";

type ShowJob = Result<"job.showConfig">["jobs"][0];

// The `complex` job of docs/tools.md#event-and-config-commands.
const COMPLEX: ShowJob = {
  name: "complex",
  emits: ["boing", "blip"],
  startOn: {
    kind: "and",
    left: { kind: "match", event: "starting", args: [{ kind: "positional", value: "A" }] },
    right: {
      kind: "or",
      left: { kind: "match", event: "B", args: [] },
      right: {
        kind: "match",
        event: "C",
        args: [{ kind: "named", name: "var", op: "=", value: "2" }],
      },
    },
  },
  stopOn: {
    kind: "or",
    left: {
      kind: "match",
      event: "bar",
      args: [
        { kind: "named", name: "HELLO", op: "=", value: "world" },
        { kind: "named", name: "testing", op: "=", value: "123" },
      ],
    },
    right: { kind: "match", event: "stopping", args: [{ kind: "positional", value: "wibble" }] },
  },
  file: "/etc/init/complex.conf",
  fields: {},
};
const PLAIN: ShowJob = {
  name: "plain",
  emits: [],
  startOn: null,
  stopOn: null,
  file: null,
  fields: {},
};

Deno.test("show-config prints each job's emits and conditions as docs/tools.md#event-and-config-commands shows", async () => {
  const r = await runInitctl(["show-config"], {
    handlers: { "job.showConfig": () => ({ jobs: [PLAIN, COMPLEX] }) },
  });
  assert.equal(r.status, 0);
  assert.equal(
    r.stdout,
    "complex\n  emits boing\n  emits blip\n" +
      "  start on (starting A and (B or C var=2))\n" +
      "  stop on (bar HELLO=world testing=123 or stopping wibble)\nplain\n",
  );
  assert.deepEqual(r.calls, [{ method: "job.showConfig", params: {} }]);
});

Deno.test("show-config -e lists each event leaf", async () => {
  const r = await runInitctl(["show-config", "-e", "complex"], {
    handlers: { "job.showConfig": () => ({ jobs: [COMPLEX] }) },
  });
  assert.equal(
    r.stdout,
    "complex\n  emits boing\n  emits blip\n" +
      "  start on starting (job: A, env:)\n" +
      "  start on B (job:, env:)\n" +
      "  start on C (job:, env: var=2)\n" +
      "  stop on bar (job:, env: HELLO=world testing=123)\n" +
      "  stop on stopping (job: wibble, env:)\n",
  );
  assert.deepEqual(r.calls, [{ method: "job.showConfig", params: { job: "complex" } }]);
});

Deno.test("show-config --json prints the jobs sorted; unknown jobs fail", async () => {
  const json = await runInitctl(["show-config", "--enumerate", "--json"], {
    handlers: { "job.showConfig": () => ({ jobs: [PLAIN, COMPLEX] }) },
  });
  assert.deepEqual(JSON.parse(json.stdout), { jobs: [COMPLEX, PLAIN] });
  const unknown = await runInitctl(["show-config", "nosuch"], {
    handlers: {
      "job.showConfig": () => {
        throw rpcError("UnknownJob", "Unknown job: nosuch");
      },
    },
  });
  assert.equal(unknown.status, 1);
  assert.equal(unknown.stderr, "initctl: Unknown job: nosuch\n");
});

Deno.test("check-config prints jobs with problems (see docs/tools.md#event-and-config-commands) and exits 1", async () => {
  const r = await runInitctl(["check-config"], {
    handlers: {
      "job.checkConfig": () => ({
        jobs: [
          { job: "fine", problems: [] },
          { job: "cc", problems: ["start on: unknown job grape", "stop on: unknown event peach"] },
        ],
        files: [],
      }),
    },
  });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, "cc\n  start on: unknown job grape\n  stop on: unknown event peach\n");
  assert.deepEqual(r.calls, [{
    method: "job.checkConfig",
    params: { ignoreEvents: [], warn: false },
  }]);
});

Deno.test("check-config passes -i lists, -w and JOB; exits 0 when all is well", async () => {
  const r = await runInitctl(
    ["check-config", "-i", "a,b", "--ignore-events=c", "-w", "cc", "-id,,e"],
    { handlers: { "job.checkConfig": () => ({ jobs: [{ job: "cc", problems: [] }], files: [] }) } },
  );
  assert.equal(r.status, 0);
  assert.equal(r.stdout, "");
  assert.deepEqual(r.calls, [{
    method: "job.checkConfig",
    params: { job: "cc", ignoreEvents: ["a", "b", "c", "d", "e"], warn: true },
  }]);
});

Deno.test("check-config also reports configuration files that failed to parse", async () => {
  const report = {
    jobs: [],
    files: [
      { file: "/etc/init/b.conf", job: "b", message: "3:1: Unknown stanza" },
      { file: "/etc/init/a.conf", job: null, message: "/etc/init/a.conf:1:7: Expected event" },
    ],
  };
  assert.equal(
    formatCheckReport(report),
    "/etc/init/a.conf\n  /etc/init/a.conf:1:7: Expected event\n" +
      "b\n  /etc/init/b.conf: 3:1: Unknown stanza\n",
  );
  const r = await runInitctl(["check-config", "--json"], {
    handlers: { "job.checkConfig": () => report },
  });
  assert.equal(r.status, 1);
  assert.deepEqual(JSON.parse(r.stdout).files.map((f: { file: string }) => f.file), [
    "/etc/init/a.conf",
    "/etc/init/b.conf",
  ]);
});

Deno.test("check-config reports an unknown JOB as the daemon words it", async () => {
  const r = await runInitctl(["check-config", "nosuch"], {
    handlers: {
      "job.checkConfig": () => {
        throw rpcError("InvalidJobClass", "Invalid job class: nosuch");
      },
    },
  });
  assert.equal(r.status, 1);
  assert.equal(r.stderr, "initctl: Invalid job class: nosuch\n");
});

Deno.test("reload-configuration asks the daemon and prints nothing", async () => {
  const r = await runInitctl(["reload-configuration"], { handlers: { "conf.reload": () => ({}) } });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, "");
  assert.deepEqual(r.calls, [{ method: "conf.reload", params: {} }]);
});
