import assert from "node:assert/strict";
import { parseJobConfig } from "./parse_job.ts";
import type { JobClassSpec } from "./types.ts";

const CORPUS = new URL("../../shared/corpus/", import.meta.url);

/** The corpus lives beside the checkout, not in it: on a clone alone these tests are skipped. */
const ABSENT = !existsDir(CORPUS);
const ignore = ABSENT;
if (ABSENT) {
  Deno.test({ name: "corpus tests skipped: ../shared/corpus is absent", ignore: true, fn() {} });
}

function existsDir(dir: URL): boolean {
  try {
    return Deno.statSync(dir).isDirectory;
  } catch {
    return false;
  }
}

async function confFiles(dir: URL): Promise<URL[]> {
  const found: URL[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.isDirectory ? `${entry.name}/` : entry.name, dir);
    if (entry.isDirectory) found.push(...await confFiles(url));
    else if (entry.name.endsWith(".conf")) found.push(url);
  }
  return found.sort((a, b) => a.href.localeCompare(b.href));
}

async function parseCorpusFile(path: string): Promise<JobClassSpec> {
  const url = new URL(path, CORPUS);
  return parseJobConfig(await Deno.readTextFile(url), { name: "corpus", file: url.pathname });
}

Deno.test({ name: "parseJobConfig() accepts every job file of the corpus", ignore }, async () => {
  const files = await confFiles(CORPUS);
  assert.ok(files.length >= 40, `only ${files.length} corpus files found`);
  for (const url of files) {
    parseJobConfig(await Deno.readTextFile(url), { name: "corpus", file: url.pathname });
  }
});

Deno.test({ name: "parseJobConfig() reads plymouth.conf's nested start on", ignore }, async () => {
  const job = await parseCorpusFile("cjdoucette__xlxc/etc/init/plymouth.conf");
  const m = (event: string, ...values: string[]) => ({
    kind: "match" as const,
    event,
    args: values.map((value) => ({ kind: "positional" as const, value })),
  });
  assert.deepEqual(job.startOn, {
    kind: "or",
    left: m("starting", "mountall"),
    right: {
      kind: "and",
      left: m("runlevel", "[016]"),
      right: {
        kind: "or",
        left: { kind: "or", left: m("desktop-shutdown"), right: m("stopped", "xdm") },
        right: m("stopped", "uxlaunch"),
      },
    },
  });
  assert.equal(job.description, "userspace bootsplash utility");
  assert.deepEqual([job.expect, job.killTimeout], ["fork", 60]);
  assert.equal(
    job.processes.main?.command.split("\n")[0],
    'if [ "$RUNLEVEL" = "0" -o "$RUNLEVEL" = "1" -o "$RUNLEVEL" = "6" ]; then',
  );
  assert.deepEqual(job.processes["pre-stop"], {
    script: false,
    command: "/bin/plymouth quit",
    line: 33,
  });
});

Deno.test(
  { name: "parseJobConfig() reads rc-sysinit.conf's env entries and console", ignore },
  async () => {
    const job = await parseCorpusFile("Bee1To__raspbmc-files/etc/init/rc-sysinit.conf");
    assert.deepEqual(job.env, ["DEFAULT_RUNLEVEL=2", "RUNLEVEL=", "PREVLEVEL="]);
    assert.equal(job.console, "owner");
  },
);

Deno.test({
  name: "parseJobConfig() reads docker.conf's limits and tty4.conf's multi-line group",
  ignore,
}, async () => {
  const docker = await parseCorpusFile("moby__moby/contrib/init/upstart/docker.conf");
  assert.deepEqual(docker.limits, { nofile: [524288, 1048576], nproc: [524288, 1048576] });
  assert.equal(docker.respawn, true);
  const tty4 = await parseCorpusFile("ubports__upstart/debian/conf/tty4.conf");
  const named = (value: string) => ({
    kind: "match" as const,
    event: "container",
    args: [{ kind: "named" as const, name: "CONTAINER", op: "=" as const, value }],
  });
  assert.deepEqual(tty4.startOn, {
    kind: "and",
    left: { kind: "match", event: "runlevel", args: [{ kind: "positional", value: "[23]" }] },
    right: {
      kind: "or",
      left: {
        kind: "or",
        left: { kind: "match", event: "not-container", args: [] },
        right: named("lxc"),
      },
      right: named("lxc-libvirt"),
    },
  });
});

Deno.test({
  name: "parseJobConfig() reads startpar-bridge.conf's != arguments and instance",
  ignore,
}, async () => {
  const job = await parseCorpusFile("Webconverger__webc/etc/init/startpar-bridge.conf");
  const not = (event: string) => ({
    kind: "match" as const,
    event,
    args: [{ kind: "named" as const, name: "JOB", op: "!=" as const, value: "startpar-bridge" }],
  });
  assert.deepEqual(job.startOn, { kind: "or", left: not("started"), right: not("stopped") });
  assert.equal(job.instance, "$JOB-$INSTANCE-$UPSTART_EVENTS");
  assert.equal(job.task, true);
});
