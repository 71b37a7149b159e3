import assert from "node:assert/strict";
import type { InstanceStatus } from "../protocol/methods.ts";
import { formatListing, formatStatus, jsonText, sortListing } from "./output.ts";

function status(
  job: string,
  goal: "start" | "stop",
  state: string,
  processes: [string, number][] = [],
  instance = "",
): InstanceStatus {
  return {
    job,
    instance,
    goal,
    state,
    processes: processes.map(([process, pid]) =>
      ({ process, pid }) as InstanceStatus["processes"][0]
    ),
  };
}

Deno.test("formatStatus() reproduces the observed status lines of docs/tools.md#status-line", async (t) => {
  const cases: [InstanceStatus, string][] = [
    [status("svc", "start", "running", [["main", 17017]]), "svc start/running, process 17017"],
    [status("abstract", "start", "running"), "abstract start/running"],
    [status("svc", "stop", "waiting"), "svc stop/waiting"],
    [
      status("prestart", "start", "pre-start", [["pre-start", 16921]]),
      "prestart start/pre-start, process 16921",
    ],
    [
      status("poststart", "start", "post-start", [["post-start", 17047], ["main", 17046]]),
      "poststart start/post-start, process 17046\n\tpost-start process 17047",
    ],
    [
      status("nomain-poststart", "start", "post-start", [["post-start", 17055]]),
      "nomain-poststart start/post-start, (post-start) process 17055",
    ],
    [
      status("prestop", "stop", "pre-stop", [["main", 17119], ["pre-stop", 17123]]),
      "prestop stop/pre-stop, process 17119\n\tpre-stop process 17123",
    ],
    [
      status("poststop", "stop", "post-stop", [["post-stop", 17157]]),
      "poststop stop/post-stop, process 17157",
    ],
    [
      status("inst", "start", "running", [["main", 17075]], "a"),
      "inst (a) start/running, process 17075",
    ],
    [
      status("sub/nested", "start", "running", [["main", 17112]]),
      "sub/nested start/running, process 17112",
    ],
    [
      status("cancelstart", "stop", "pre-start", [["pre-start", 17780]]),
      "cancelstart stop/pre-start, process 17780",
    ],
  ];
  for (const [input, expected] of cases) {
    await t.step(expected.split("\n")[0] as string, () => {
      assert.equal(formatStatus(input), expected);
    });
  }
});

Deno.test("formatStatus() orders processes main, pre-start, post-start, pre-stop, post-stop, security", () => {
  const all = status("x", "start", "running", [
    ["security", 6],
    ["post-stop", 5],
    ["pre-stop", 4],
    ["post-start", 3],
    ["pre-start", 2],
    ["main", 1],
  ]);
  assert.equal(
    formatStatus(all),
    "x start/running, process 1\n\tpre-start process 2\n\tpost-start process 3\n" +
      "\tpre-stop process 4\n\tpost-stop process 5\n\tsecurity process 6",
  );
  assert.equal(
    formatStatus(status("x", "start", "security", [["security", 9]])),
    "x start/security, (security) process 9",
  );
  assert.equal(
    formatStatus(status("x", "stop", "pre-stop", [["pre-stop", 9]])),
    "x stop/pre-stop, (pre-stop) process 9",
  );
});

Deno.test("formatListing() sorts jobs and instances and shows jobs without instances", () => {
  const jobs = [
    { job: "zeta", instances: [] },
    {
      job: "inst",
      instances: [
        status("inst", "start", "running", [["main", 2]], "b"),
        status("inst", "start", "running", [["main", 1]], "a"),
      ],
    },
    { job: "alpha", instances: [status("alpha", "start", "running", [["main", 3]])] },
  ];
  assert.equal(
    formatListing(jobs),
    "alpha start/running, process 3\ninst (a) start/running, process 1\n" +
      "inst (b) start/running, process 2\nzeta stop/waiting\n",
  );
  assert.deepEqual(sortListing(jobs).map((j) => j.job), ["alpha", "inst", "zeta"]);
  assert.equal(jobs[0]?.job, "zeta", "sortListing() must not reorder its input");
  assert.equal(formatListing([]), "");
});

Deno.test("jsonText() prints one compact document and a newline", () => {
  assert.equal(jsonText({ a: [1, "x"] }), '{"a":[1,"x"]}\n');
});
