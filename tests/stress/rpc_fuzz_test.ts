/**
 * RPC fuzz (tests/stress/README.md): malformed, oversized, slow, idle,
 * pipelined, flooding and batched requests, and held connections, sent by
 * another user (uid 65534 through `setpriv`, the daemon's owner being root)
 * to a real user-mode daemon. Each part prints its figures; the daemon must
 * stay alive, answer root throughout, and keep its memory bounded.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { RawClient } from "../helpers/raw_client.ts";
import { ROOT, startTestDaemon, type TestDaemon } from "../helpers/test_daemon.ts";
import { fdCount, LONG, rssKiB, scale, StressReport } from "./_report.ts";

/** `count` jobs with a few stanzas each, so that `show-config` has something to say. */
function jobs(count: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    files[`j${i}.conf`] = [
      `description "job ${i}"`,
      `start on (started j${(i + 1) % count} and filesystem) or runlevel [2345]`,
      "stop on runlevel [!2345]",
      "env A=1",
      "exec sleep 60",
      "",
    ].join("\n");
  }
  return files;
}

function fuzzDaemon(jobCount = 20): Promise<TestDaemon> {
  return startTestDaemon(jobs(jobCount), { socketMode: 0o666, publicDir: true });
}

/** Runs `_rpc_attacker.ts PART COUNT` as uid 65534; resolves with its figures. */
function attacker(d: TestDaemon, part: string, count: number): {
  readonly child: Deno.ChildProcess;
  readonly firstLine: Promise<string>;
  readonly figures: Promise<Record<string, number | string>>;
} {
  const child = new Deno.Command("setpriv", {
    args: [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      Deno.execPath(),
      "run",
      "--quiet",
      "--cached-only",
      `--config=${join(ROOT, "deno.json")}`,
      "--allow-read",
      "--allow-write",
      "--allow-net",
      join(ROOT, "tests/stress/_rpc_attacker.ts"),
      d.socket,
      part,
      String(count),
      String(Date.now() % 100_000),
    ],
    clearEnv: true,
    env: {
      PATH: "/usr/bin:/bin",
      HOME: "/nonexistent",
      DENO_DIR: join(ROOT, ".deno_dir"),
      DENO_DISABLE_NODE_SHIM: "1",
      NO_COLOR: "1",
    },
    cwd: "/",
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let gotLine: (line: string) => void = () => {};
  const firstLine = new Promise<string>((r) => gotLine = r);
  const readOut = async () => {
    let out = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      out += chunk;
      if (out.includes("\n")) gotLine(out.slice(0, out.indexOf("\n")));
    }
    gotLine(out);
    return out;
  };
  const figures = (async () => {
    const [out, status, err] = await Promise.all([
      readOut(),
      child.status,
      new Response(child.stderr).text(),
    ]);
    const last = out.trim().split("\n").at(-1) ?? "";
    assert.equal(status.code, 0, `attacker ${part} failed: ${err}`);
    return JSON.parse(last) as Record<string, number | string>;
  })();
  return { child, firstLine, figures };
}

/** Root's longest wait for `job.list` (a fresh connection each time) while `until` runs. */
async function probeRoot<T>(d: TestDaemon, until: Promise<T>): Promise<{ value: T; ms: number }> {
  let done = false;
  let worst = 0;
  let failures = 0;
  const probing = (async () => {
    while (!done) {
      const t0 = performance.now();
      try {
        await using c = await RawClient.connect(d);
        const r = await c.call('{"jsonrpc":"2.0","id":1,"method":"job.list"}');
        if ((r as { result?: unknown } | null)?.result === undefined) failures++;
      } catch {
        failures++;
      }
      worst = Math.max(worst, performance.now() - t0);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  try {
    return { value: await until, ms: failures > 0 ? Infinity : worst };
  } finally {
    done = true;
    await probing;
  }
}

/** Runs one part: attack, root probe, figures, and the common verdict. */
async function fuzzPart(
  name: string,
  count: number,
  judge: (figures: Record<string, number | string>, report: StressReport) => void,
  options: { jobs?: number } = {},
): Promise<void> {
  await using d = await fuzzDaemon(options.jobs);
  const report = new StressReport(`rpc-fuzz/${name}`).set("as uid", 65534);
  try {
    const before = rssKiB(d.daemonPid);
    const fdsBefore = fdCount(d.daemonPid);
    report.set("rss before KiB", before);
    const { value: figures, ms } = await probeRoot(d, attacker(d, name, count).figures);
    for (const [k, v] of Object.entries(figures)) report.set(k, v);
    report.set("root longest wait ms", Math.round(ms));
    report.set("daemon alive", d.exitStatus === null);
    const after = rssKiB(d.daemonPid);
    report.set("rss after KiB", after);
    // The daemon closes a dropped client's connection shortly after.
    await new Promise((r) => setTimeout(r, 300));
    report.set("fds before/after", `${fdsBefore}/${fdCount(d.daemonPid)}`);
    report.set("failures", Number(figures["bad replies"] ?? 0) + Number(figures["stalls"] ?? 0));
    assert.equal(d.exitStatus, null, d.output);
    assert.ok(ms < 5000, `root waited ${ms} ms`);
    assert.equal(report.get("failures"), 0);
    assert.ok(after! - before! < 200 * 1024, `the daemon grew from ${before} to ${after} KiB`);
    judge(figures, report);
    const { status, ms: stopMs } = await d.terminate();
    report.set("SIGTERM answered in ms", Math.round(stopMs));
    assert.equal(status.code, 0);
    assert.ok(stopMs < 3000);
  } finally {
    report.print();
  }
}

Deno.test("rpc fuzz: malformed and mutated requests", async () => {
  await fuzzPart("malformed", scale(1500, 200_000), (f) => {
    assert.equal(f["inputs tried"], scale(1500, 200_000));
  });
});

Deno.test("rpc fuzz: oversized lines", async () => {
  await fuzzPart("oversized", scale(4, 200), (f) => {
    assert.equal(f["not closed"] ?? 0, 0);
  });
});

Deno.test("rpc fuzz: requests dribbled a byte at a time", async () => {
  await fuzzPart("slow", scale(3, 40), (f) => {
    assert.equal(f["whole request went through"] ?? 0, 0);
    // The whole-request timeout is 10 s (docs/rpc.md#limits).
    assert.ok(Number(f["slowest drop ms"]) < 14_000, `dropped after ${f["slowest drop ms"]} ms`);
  });
});

Deno.test({
  name: "rpc fuzz: idle connections",
  ignore: !LONG, // the idle timeout is 30 s
  fn: async () => {
    await fuzzPart("idle", 40, (f) => {
      assert.ok(Number(f["slowest drop ms"]) < 35_000, `dropped after ${f["slowest drop ms"]} ms`);
    });
  },
});

Deno.test("rpc fuzz: pipelined requests on one connection", async () => {
  await fuzzPart("pipelined", scale(3000, 100_000), (f) => {
    assert.equal(f["unanswered"], 0);
  });
});

Deno.test("rpc fuzz: a client that sends 8 MB and never reads", async () => {
  await fuzzPart("flood", scale(2000, 40_000), (f) => {
    // Back-pressure: the daemon stopped reading long before 8 MB.
    assert.equal(f["flood written whole"], "false");
  });
});

Deno.test("rpc fuzz: batches, the 20,000-request one and 1,000 show-configs of every job", async () => {
  await fuzzPart("batched", scale(20, 500), () => {}, { jobs: scale(20, 100) });
});

Deno.test("rpc fuzz: 700 connections held open lock out neither root nor the daemon", async () => {
  await using d = await fuzzDaemon();
  const report = new StressReport("rpc-fuzz/hold").set("as uid", 65534);
  try {
    report.set("rss before KiB", rssKiB(d.daemonPid));
    const { child, firstLine, figures } = attacker(d, "hold", 700);
    const held = Number(/^held (\d+)/.exec(await firstLine)?.[1] ?? 0);
    report.set("connections held", held);
    assert.ok(held >= 32, `only ${held} connections opened`);
    const { ms } = await probeRoot(d, new Promise((r) => setTimeout(r, scale(2000, 30_000))));
    report.set("root longest wait ms", Math.round(ms));
    await child.stdin.close();
    for (const [k, v] of Object.entries(await figures)) report.set(k, v);
    report.set("daemon alive", d.exitStatus === null).set("rss after KiB", rssKiB(d.daemonPid));
    report.set("failures", ms < 5000 ? 0 : 1);
    assert.ok(ms < 5000, `root waited ${ms} ms`);
    assert.equal(d.exitStatus, null);
  } finally {
    report.print();
  }
});
