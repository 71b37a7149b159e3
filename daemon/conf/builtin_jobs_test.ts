import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parseJobConfig } from "../../parser/parse_job.ts";
import { readBuiltinProviders, supplementJobs } from "./builtin_jobs.ts";

const job = (name: string, text = "exec true\n") => parseJobConfig(text, { name });
const BUILTINS = [job("mountall", "emits filesystem\ntask\n"), job("network", "task\n")];

Deno.test("supplementJobs() adds each provider whose event nobody emits", () => {
  const rcSysinit = job("rc-sysinit", "start on filesystem and static-network-up\ntask\n");
  assert.deepEqual(supplementJobs([rcSysinit], BUILTINS).map((j) => j.name), [
    "rc-sysinit",
    "mountall",
    "network",
  ]);
});

Deno.test("supplementJobs() leaves out a provider whose event or name is taken", () => {
  const mine = job("my-mounts", "emits filesystem\nexec true\n");
  const network = job("network");
  const loaded = [mine, network];
  assert.equal(supplementJobs(loaded, BUILTINS), loaded, "nothing added: the same array");
});

Deno.test("readBuiltinProviders() parses daybreak's own mountall, network and container-detect jobs", () => {
  const dir = fileURLToPath(new URL("../../etc/init", import.meta.url));
  const { jobs, problems } = readBuiltinProviders(dir);
  assert.deepEqual(problems, []);
  assert.deepEqual(jobs.map((j) => j.name), ["mountall", "network", "container-detect"]);
  assert.ok(jobs[0]!.emits.includes("filesystem"));
  assert.ok(jobs[1]!.emits.includes("static-network-up"));
  assert.deepEqual(jobs[2]!.emits, ["container", "not-container"]);
  assert.deepEqual(readBuiltinProviders("/nonexistent").jobs, []);
});
