// job.showConfig and job.checkConfig: one job that cannot be shown gets its own error, the
// others are still answered (issue 14, item 7); only root and the owner see values (item 6).
import assert from "node:assert/strict";
import { parseJobConfig } from "../../parser/parse_job.ts";
import type { JobClassSpec } from "../../parser/types.ts";
import { createHandlers, type HandlerServices } from "./handlers.ts";
import type { CallContext } from "./server.ts";

const ctx = (uid: number): CallContext => ({
  peer: { uid, gid: uid, pid: 1 },
  signal: new AbortController().signal,
});

function handlers(jobs: JobClassSpec[], ownerUid = 1000) {
  const services = {
    driver: { engine: {} },
    jobs: () => jobs,
    confProblems: () => [],
    ownerUid,
  } as unknown as HandlerServices;
  return createHandlers(services);
}

// A definition no parser makes: an operator without operands breaks every walk of it.
const broken = {
  ...parseJobConfig("exec true\n", { name: "broken" }),
  startOn: { kind: "or" } as unknown as JobClassSpec["startOn"],
};
const good = parseJobConfig("env KEY=v4lue\nstart on a or b\nexec sleep 1\n", { name: "good" });

Deno.test("a job that cannot be shown gets its own error; the others are sent", async () => {
  const h = handlers([broken, good]);
  const { jobs } = await h["job.showConfig"]({}, ctx(0));
  assert.equal(jobs.length, 2);
  assert.equal(jobs[0]!.name, "broken");
  assert.match(jobs[0]!.error ?? "", /^TypeError: /);
  assert.equal(jobs[1]!.error, undefined);
  assert.equal(jobs[1]!.startOnText, "(a or b)");
  assert.deepEqual(jobs[1]!.startOnLeaves, [
    { event: "a", job: null, env: [] },
    { event: "b", job: null, env: [] },
  ]);
  const check = await h["job.checkConfig"]({ ignoreEvents: [], warn: false }, ctx(0));
  assert.match(
    check.jobs.find((j) => j.job === "broken")?.problems[0] ?? "",
    /^cannot be checked: /,
  );
  assert.deepEqual(check.jobs.find((j) => j.job === "good")?.problems, [
    "start on: unknown event a",
    "start on: unknown event b",
  ]);
});

Deno.test("show-config hides values and process text from all but root and the owner", async () => {
  const h = handlers([good]);
  for (const uid of [0, 1000]) {
    const { jobs } = await h["job.showConfig"]({}, ctx(uid));
    assert.deepEqual(jobs[0]!.fields.env, ["KEY=v4lue"]);
  }
  const { jobs } = await h["job.showConfig"]({}, ctx(1001));
  assert.deepEqual(jobs[0]!.fields.env, ["KEY=<hidden>"]);
  assert.deepEqual(jobs[0]!.fields.processes, { main: { script: false, command: "<hidden>" } });
  const anonymous = await h["job.showConfig"]({}, {
    peer: null,
    signal: new AbortController().signal,
  });
  assert.deepEqual(anonymous.jobs[0]!.fields.env, ["KEY=<hidden>"]);
});
