// Issue 14, item 1: a delegated caller passes only the variables a rule names for it, never an
// unsafe one; root and the owner pass anything.
import assert from "node:assert/strict";
import { parseJobConfig } from "../../parser/parse_job.ts";
import { RpcError } from "../../protocol/errors.ts";
import { ownerAuthorizer, refusedVariable } from "./authorize.ts";
import { isUnsafeVariable } from "./env_policy.ts";
import type { IdentitySources } from "./identity.ts";
import type { CallContext } from "./server.ts";

const SOURCES: IdentitySources = {
  passwd: () =>
    "root:x:0:0::/root:/bin/sh\nann:x:1000:1000::/h:/bin/sh\nbob:x:1001:1001::/h:/bin/sh\n",
  group: () => "root:x:0:\nann:x:1000:\nbob:x:1001:\ndeploy:x:2000:bob\n",
  status: () => null,
};
const ctx = (uid: number): CallContext => ({
  peer: { uid, gid: uid, pid: 99 },
  signal: new AbortController().signal,
});
const web = parseJobConfig(
  "exec true\ndelegate start,stop ann\ndelegate start,restart @deploy env=PORT,PATH,LD_PRELOAD\n",
  { name: "web" },
);
const auth = ownerAuthorizer(0, { jobs: () => [web], identity: SOURCES });

function refusal(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof RpcError) return e.message;
    throw e;
  }
  return "allowed";
}

Deno.test("without env= a delegated caller passes no variable at all", () => {
  assert.equal(refusal(() => auth("job.start", { job: "web", env: [] }, ctx(1000))), "allowed");
  assert.equal(refusal(() => auth("job.stop", { job: "web" }, ctx(1000))), "allowed");
  for (const v of ["PATH=/tmp/evil:/bin", "LD_PRELOAD=/tmp/x.so", "BASH_ENV=/tmp/x", "PORT=1"]) {
    const name = v.slice(0, v.indexOf("="));
    assert.equal(
      refusal(() => auth("job.start", { job: "web", env: [v] }, ctx(1000))),
      `You do not have permission to pass ${name} to job: web`,
    );
  }
});

Deno.test("named variables pass with the actions of their rule; unsafe ones never", () => {
  assert.equal(
    refusal(() => auth("job.start", { job: "web", env: ["PORT=80"] }, ctx(1001))),
    "allowed",
  );
  assert.equal(
    refusal(() => auth("job.restart", { job: "web", env: ["PORT=80"] }, ctx(1001))),
    "allowed",
  );
  assert.equal(
    refusal(() => auth("job.start", { job: "web", env: ["PORT=80", "PATH=/tmp"] }, ctx(1001))),
    "You do not have permission to pass PATH to job: web",
  );
  assert.equal(
    refusal(() => auth("job.start", { job: "web", env: ["LD_PRELOAD=/x"] }, ctx(1001))),
    "You do not have permission to pass LD_PRELOAD to job: web",
  );
  // A bare name (no `=`) is checked by its name too.
  assert.equal(
    refusal(() => auth("job.start", { job: "web", env: ["BASH_ENV"] }, ctx(1001))),
    "You do not have permission to pass BASH_ENV to job: web",
  );
  // bob is not delegated stop at all.
  assert.equal(
    refusal(() => auth("job.stop", { job: "web" }, ctx(1001))),
    "You do not have permission to modify job: web",
  );
});

Deno.test("root and the owner pass any variable", () => {
  const user = ownerAuthorizer(1000, { jobs: () => [web], identity: SOURCES });
  user("job.start", { job: "web", env: ["LD_PRELOAD=/x", "PATH=/y"] }, ctx(1000));
  user("job.start", { job: "web", env: ["LD_PRELOAD=/x"] }, ctx(0));
});

Deno.test("the unsafe list covers the loader, the shells, glibc and interpreters", () => {
  for (
    const name of [
      "PATH",
      "LD_PRELOAD",
      "LD_LIBRARY_PATH",
      "LD_AUDIT",
      "BASH_ENV",
      "ENV",
      "IFS",
      "SHELLOPTS",
      "PS4",
      "GCONV_PATH",
      "HOSTALIASES",
      "LOCALDOMAIN",
      "NLSPATH",
      "RESOLV_HOST_CONF",
      "BASH_FUNC_ls%%",
      "PYTHONPATH",
      "PERL5OPT",
      "NODE_OPTIONS",
      "UPSTART_JOB",
    ]
  ) assert.equal(isUnsafeVariable(name), true, name);
  for (const name of ["PORT", "MODE", "path", "DB_HOST"]) {
    assert.equal(isUnsafeVariable(name), false, name);
  }
  assert.equal(
    refusedVariable(
      web.delegates,
      "start",
      { uid: 1001, user: "bob", groups: new Set(["deploy"]) },
      [
        "PORT=1",
      ],
    ),
    null,
  );
});
