import assert from "node:assert/strict";
import { parseJobConfig } from "../../parser/parse_job.ts";
import { isQuery, ownerAuthorizer } from "./authorize.ts";
import type { IdentitySources } from "./identity.ts";
import { callerIdentity, statusGroups } from "./identity.ts";
import { RpcError } from "../../protocol/errors.ts";
import type { CallContext } from "./server.ts";

const PASSWD =
  "root:x:0:0::/root:/bin/sh\nann:x:1000:1000::/h:/bin/sh\nbob:x:1001:1001::/h:/bin/sh\n";
const GROUP = "root:x:0:\nann:x:1000:\nbob:x:1001:\ndeploy:x:2000:bob\nops:x:2001:\n";

function sources(status: Record<number, string>): IdentitySources {
  return { passwd: () => PASSWD, group: () => GROUP, status: (pid) => status[pid] ?? null };
}

const ctx = (uid: number, gid: number, pid = 99): CallContext => ({
  peer: { uid, gid, pid },
  signal: new AbortController().signal,
});

const jobs = [
  parseJobConfig("exec true\ndelegate start,stop ann\ndelegate all @deploy\n", { name: "web" }),
  parseJobConfig("exec true\n", { name: "db" }),
];

function refused(fn: () => void, message: string): void {
  assert.throws(fn, (e: unknown) => e instanceof RpcError && e.message === message);
}

Deno.test("isQuery() lets anyone read and only log-priority without an argument", () => {
  assert.equal(isQuery("job.list", {}), true);
  assert.equal(isQuery("daemon.logPriority", {}), true);
  assert.equal(isQuery("daemon.logPriority", { priority: "info" }), false);
  assert.equal(isQuery("job.start", { job: "x" }), false);
});

Deno.test("ownerAuthorizer() lets root and the owner change anything", () => {
  const auth = ownerAuthorizer(1000, { jobs: () => jobs, identity: sources({}) });
  auth("job.stop", { job: "db" }, ctx(0, 0));
  auth("event.emit", { name: "x" }, ctx(1000, 1000));
});

Deno.test("ownerAuthorizer() refuses others with Upstart's permission texts", () => {
  const auth = ownerAuthorizer(0, { jobs: () => jobs, identity: sources({}) });
  refused(
    () => auth("job.start", { job: "db" }, ctx(1001, 1001)),
    "You do not have permission to modify job: db",
  );
  refused(
    () => auth("event.emit", { name: "x" }, ctx(1001, 1001)),
    "You do not have permission to emit an event",
  );
  refused(
    () => auth("env.set", { vars: ["A=1"] }, ctx(1001, 1001)),
    "You do not have permission to modify job environment",
  );
  refused(
    () => auth("job.start", { job: "db" }, { peer: null, signal: new AbortController().signal }),
    "You do not have permission to modify job: db",
  );
});

Deno.test("ownerAuthorizer() grants exactly the delegated actions to the named user", () => {
  const auth = ownerAuthorizer(0, { jobs: () => jobs, identity: sources({}) });
  auth("job.start", { job: "web" }, ctx(1000, 1000));
  auth("job.stop", { job: "web" }, ctx(1000, 1000));
  refused(
    () => auth("job.restart", { job: "web" }, ctx(1000, 1000)),
    "You do not have permission to modify job: web",
  );
  refused(
    () => auth("job.start", { job: "db" }, ctx(1000, 1000)),
    "You do not have permission to modify job: db",
  );
});

Deno.test("ownerAuthorizer() grants a delegated group through the caller's live groups", () => {
  const auth = ownerAuthorizer(0, {
    jobs: () => jobs,
    identity: sources({
      7: "Gid:\t1001\t1001\t1001\t1001\nGroups:\t1001 2000\n",
      8: "Gid:\t1001\nGroups:\t1001\n",
    }),
  });
  auth("job.restart", { job: "web" }, ctx(1001, 1001, 7));
  auth("job.reload", { job: "web" }, ctx(1001, 1001, 7));
  refused(
    () => auth("job.restart", { job: "web" }, ctx(1001, 1001, 8)),
    "You do not have permission to modify job: web",
  );
});

Deno.test("callerIdentity() falls back to /etc/group membership when the caller has exited", () => {
  const id = callerIdentity({ uid: 1001, gid: 1001, pid: 5 }, sources({}));
  assert.equal(id.user, "bob");
  assert.deepEqual([...id.groups].sort(), ["bob", "deploy"]);
  assert.deepEqual(statusGroups("Gid:\t0\t0\t0\t0\nGroups:\t4 27\n"), [0, 4, 27]);
});
