/**
 * The reliability suite's attacks (tests/stress/README.md) against system mode as PID 1 of a PID
 * namespace (tests/pid1/namespace.ts): bad signals (SIGTERM re-executes and keeps the jobs), a
 * job of 20,000 `start on` alternatives, delegated starts passing `PATH` and `LD_PRELOAD`, the RPC
 * fuzz of rpc_fuzz_test.ts sent as uid 65534 from inside the namespace, a self-triggering event
 * loop, and `kill -9` storms (`kill -9 -1` from inside included). After each: the same init is
 * still PID 1, `initctl version` and `list` answer root, no zombie is left, and memory is shown.
 */
import assert from "node:assert/strict";
import { listDir } from "../../sys/libc.ts";
import { readStatus } from "../../sys/procfs.ts";
import { childrenOf, isAlive, procState } from "../helpers/procfs.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { type Pid1, ROOT, skipReason, startPid1, waitFor } from "../pid1/namespace.ts";
import { fdCount, LONG, rssKiB, scale, StressReport } from "./_report.ts";

const skip = skipReason();
const SOCKET = "/run/daybreak/initctl.sock";
/** Root's bound for one `initctl` run through nsenter: a whole Deno start on a shared machine. */
const INITCTL_BOUND_MS = 10_000;
/** Root's bound for one request on an open socket while an attack runs (as rpc_fuzz_test.ts). */
const PROBE_BOUND_MS = 5_000;

const DEEP = Array.from({ length: 20_000 }, (_, i) => `e${i}`).join(" or ");

const JOBS = {
  svc: "start on startup\nexec sleep 1000\n",
  resp: "start on startup\nrespawn\nrespawn limit unlimited\nexec sleep 1000\n",
  logger: "start on startup\nrespawn\nrespawn limit unlimited\nconsole log\nscript\n" +
    "  while true; do echo tick; sleep 0.2; done\nend script\n",
  deleg: "delegate start,restart nobody env=PORT,PATH,LD_PRELOAD\nenv PORT=80\nexec sleep 1000\n",
};

/** 20,000 `start on` alternatives, added at run time (and removed after its phase). */
const DEEP_JOB = `start on ${DEEP}\ntask\nexec true\n`;

/** The self-triggering job (each run's end starts the next), added at run time. */
const LOOP =
  "start on kick or stopped loop\ntask\nscript\n  echo . >> /run/loop-runs\nend script\n";

interface Listed {
  jobs: { job: string; instances: { state: string; processes: { pid: number }[] }[] }[];
}

/**
 * A path of the namespace as the host reaches it: through init's root, by a symbolic link (Deno
 * refuses a `/proc` path without --allow-all).
 */
const roots = new Map<number, string>();
function inNs(ns: Pid1, path: string): string {
  let link = roots.get(ns.pid);
  if (link === undefined) {
    link = `${Deno.makeTempDirSync({ prefix: "daybreak-pid1-root-" })}/root`;
    Deno.symlinkSync(`/proc/${ns.pid}/root`, link);
    roots.set(ns.pid, link);
  }
  return `${link}${path}`;
}
const hostSocket = (ns: Pid1) => inNs(ns, SOCKET);

async function call(ns: Pid1, method: string): Promise<unknown> {
  await using c = await RawClient.connect(hostSocket(ns));
  return await c.call(JSON.stringify({ jsonrpc: "2.0", id: 1, method }));
}

/** Running jobs' main pids by job name. */
async function mainPids(ns: Pid1): Promise<Record<string, number>> {
  const { jobs } = ((await call(ns, "job.list")) as { result: Listed }).result;
  const out: Record<string, number> = {};
  for (const j of jobs) {
    const i = j.instances.find((x) => x.state === "running" && x.processes.length > 0);
    if (i !== undefined) out[j.job] = i.processes[0]!.pid;
  }
  return out;
}

/** Every process below init (host pids). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = childrenOf(pid);
  while (queue.length > 0) {
    const p = queue.shift()!;
    out.push(p);
    queue.push(...childrenOf(p));
  }
  return out;
}

/** Root's longest wait for `job.list` on a fresh connection while `until` runs (∞ on a failure). */
async function probeRoot<T>(ns: Pid1, until: Promise<T>): Promise<{ value: T; ms: number }> {
  let done = false;
  let worst = 0;
  let failed = false;
  const probing = (async () => {
    while (!done) {
      const t0 = performance.now();
      try {
        const r = await call(ns, "job.list");
        if ((r as { result?: unknown } | null)?.result === undefined) failed = true;
      } catch {
        failed = true;
      }
      worst = Math.max(worst, performance.now() - t0);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  try {
    return { value: await until, ms: failed ? Infinity : worst };
  } finally {
    done = true;
    await probing;
  }
}

/** `_rpc_attacker.ts PART COUNT` as uid 65534 inside the namespace; resolves with its figures. */
function attacker(ns: Pid1, part: string, count: number) {
  const child = new Deno.Command("nsenter", {
    args: [
      ...["-t", String(ns.pid), "-m", "-p", "--", "env", "-i", "PATH=/usr/bin:/bin"],
      ...["HOME=/nonexistent", `DENO_DIR=${ROOT}.deno_dir`, "DENO_DISABLE_NODE_SHIM=1"],
      ...["NO_COLOR=1", "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"],
      ...[Deno.execPath(), "run", "--quiet", "--cached-only", `--config=${ROOT}deno.json`],
      ...["--allow-read", "--allow-write", "--allow-net", `${ROOT}tests/stress/_rpc_attacker.ts`],
      ...[SOCKET, part, String(count), String(Date.now() % 100_000)],
    ],
    cwd: "/",
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let gotLine: (line: string) => void = () => {};
  const firstLine = new Promise<string>((r) => gotLine = r);
  const figures = (async () => {
    let out = "";
    const reading = (async () => {
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        out += chunk;
        if (out.includes("\n")) gotLine(out.slice(0, out.indexOf("\n")));
      }
      gotLine(out);
    })();
    const [, status, err] = await Promise.all([
      reading,
      child.status,
      new Response(child.stderr).text(),
    ]);
    assert.equal(status.code, 0, `attacker ${part} failed: ${err}`);
    return JSON.parse(out.trim().split("\n").at(-1) ?? "") as Record<string, number | string>;
  })();
  return { child, firstLine, figures };
}

/** Whether any process of the namespace stays a zombie for `ms`. */
async function assertNoZombies(ns: Pid1, ms = 5000): Promise<void> {
  await waitFor(
    "no zombie in the namespace",
    () => descendants(ns.pid).every((p) => procState(p) !== "Z"),
    { timeoutMs: ms, intervalMs: 100 },
  );
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await f();
  return { value, ms: Math.round(performance.now() - t0) };
}

/** The verdict after each attack: same PID 1, root answered in time, no zombie, memory. */
async function after(
  ns: Pid1,
  report: StressReport,
  phase: string,
  ended: () => boolean,
): Promise<void> {
  assert.ok(!ended() && isAlive(ns.pid), `${phase}: the namespace's init ended`);
  assert.match(readStatus(ns.pid) ?? "", /^NSpid:\s+\d+\s+1$/m, `${phase}: init is not PID 1`);
  const version = await timed(() => ns.initctl("version"));
  assert.equal(version.value.code, 0, `${phase}: initctl version: ${version.value.stderr}`);
  const list = await timed(() => ns.initctl("list"));
  assert.equal(list.value.code, 0, `${phase}: initctl list: ${list.value.stderr}`);
  assert.match(list.value.stdout, /^resp /m);
  const ms = Math.max(version.ms, list.ms);
  assert.ok(ms < INITCTL_BOUND_MS, `${phase}: root's initctl took ${ms} ms`);
  await assertNoZombies(ns);
  report.set(`${phase}: initctl ms`, ms).set(`${phase}: rss KiB`, rssKiB(ns.pid));
  report.set(`${phase}: fds`, fdCount(ns.pid)).set("daemon alive", true);
}

/** A SIGTERM `send`s re-executes init (docs/reexec.md); `jobs` keep their processes. */
async function sigtermKeepsJobs(
  ns: Pid1,
  report: StressReport,
  jobs: readonly string[],
  send: () => Promise<void>,
): Promise<void> {
  const before = await mainPids(ns);
  for (const job of jobs) assert.ok(before[job], `${job} runs: ${JSON.stringify(before)}`);
  const threads = () => listDir(`/proc/${ns.pid}/task`).filter((t) => t !== String(ns.pid));
  const old = new Set(threads());
  await send();
  // The new image keeps the listening socket (docs/reexec.md) but not one thread of the old
  // image: threads all new are the sign of the re-exec.
  await waitFor("the re-executed init's threads", () => {
    try {
      const now = threads();
      return now.length > 0 && now.every((t) => !old.has(t));
    } catch {
      return false;
    }
  }, { timeoutMs: 20_000, intervalMs: 50 });
  await waitFor("the re-executed init answering", async () => {
    try {
      return ((await call(ns, "daemon.version")) as { result?: unknown }).result !== undefined;
    } catch {
      return false;
    }
  }, { timeoutMs: 20_000, intervalMs: 100 });
  const now = await mainPids(ns);
  for (const job of jobs) {
    assert.equal(now[job], before[job], `${job} kept its process across the re-exec`);
  }
  report.add("re-execs");
}

const fromHost = (ns: Pid1) => () => Promise.resolve(Deno.kill(ns.pid, "SIGTERM"));

/** SIGTERM (from the host, then from inside) re-executes init; other signals change nothing. */
async function badSignals(ns: Pid1, report: StressReport): Promise<void> {
  const jobs = ["svc", "resp", "logger"];
  const before = await mainPids(ns);
  await sigtermKeepsJobs(ns, report, jobs, fromHost(ns));
  await sigtermKeepsJobs(ns, report, jobs, async () => {
    const r = await ns.inside("sh", "-c", "kill -s TERM 1");
    assert.equal(r.code, 0, r.stderr);
  });
  const r = await ns.inside(
    "sh",
    "-c",
    "for s in USR1 USR2 HUP INT PWR WINCH QUIT ALRM PIPE CHLD; do kill -s $s 1; done",
  );
  assert.equal(r.code, 0, r.stderr);
  report.set("signals sent", 12);
  const now = await mainPids(ns);
  assert.equal(now.svc, before.svc, "svc survived the other signals");
}

/** The 20,000-alternative job: rendered, checked and started, root still answered. */
async function deepExpression(ns: Pid1, report: StressReport): Promise<void> {
  await Deno.writeTextFile(`${ns.confdir}/deep.conf`, DEEP_JOB);
  const reload = await timed(() => ns.initctl("reload-configuration"));
  assert.equal(reload.value.code, 0, reload.value.stderr);
  report.set("deep: reload ms", reload.ms);
  const one = await timed(() => ns.initctl("show-config", "deep"));
  report.set("deep: show-config deep ms", one.ms);
  assert.equal(one.value.code, 0, one.value.stderr);
  assert.match(one.value.stdout, /e19999/);
  const all = await ns.initctl("show-config");
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /^resp$/m);
  const check = await ns.initctl("check-config");
  assert.ok(check.code === 0 || check.code === 1, `check-config: ${check.code} ${check.stderr}`);
  assert.doesNotMatch(check.stdout + check.stderr, /Internal error/);
  const emit = await timed(() => ns.initctl("emit", "e19999"));
  assert.equal(emit.value.code, 0, emit.value.stderr);
  report.set("deep: emit e19999 ms", emit.ms);
  // Reloaded unchanged, and carried across a re-exec (the definition is in the state handed over).
  assert.equal((await ns.initctl("reload-configuration")).code, 0);
  await sigtermKeepsJobs(ns, report, ["svc", "resp", "logger"], fromHost(ns));
  assert.match((await ns.initctl("show-config", "deep")).stdout, /e19999/);
  await Deno.remove(`${ns.confdir}/deep.conf`);
  assert.equal((await ns.initctl("reload-configuration")).code, 0);
}

/** A delegated start as nobody: PATH and LD_PRELOAD refused even though named; plain works. */
async function delegated(ns: Pid1, report: StressReport): Promise<void> {
  const nobody = (...args: string[]) =>
    ns.inside(
      ...["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"],
      `${ROOT}bin/initctl`,
      ...args,
    );
  for (const v of ["PATH=/tmp/evil:/usr/bin:/bin", "LD_PRELOAD=/tmp/evil.so", "BASH_ENV=/tmp/x"]) {
    const r = await nobody("start", "deleg", v);
    report.add("delegate: refused");
    const name = v.slice(0, v.indexOf("="));
    assert.notEqual(r.code, 0, `${v} was accepted`);
    assert.match(r.stderr, new RegExp(`You do not have permission to pass ${name} to job: deleg`));
  }
  assert.equal((await mainPids(ns)).deleg, undefined, "nothing started");
  const r = await nobody("start", "deleg");
  assert.equal(r.code, 0, r.stderr);
  const pid = (await mainPids(ns)).deleg;
  assert.ok(pid !== undefined, "plain delegated start works");
  const stop = await ns.initctl("stop", "deleg");
  assert.equal(stop.code, 0, stop.stderr);
}

/** One `_rpc_attacker.ts` part as uid 65534 while root probes; the common verdict. */
async function rpcPart(ns: Pid1, report: StressReport, part: string, count: number) {
  const { value: f, ms } = await probeRoot(ns, attacker(ns, part, count).figures);
  const failures = Number(f["bad replies"] ?? 0) + Number(f["stalls"] ?? 0);
  report.add("rpc: inputs tried", Number(f["inputs tried"] ?? 0)).add("failures", failures);
  report.set(`rpc ${part}: root longest wait ms`, Math.round(ms));
  for (const k of ["connections dropped", "unanswered", "not closed", "slowest drop ms"]) {
    if (f[k] !== undefined) report.set(`rpc ${part}: ${k}`, f[k]!);
  }
  assert.equal(failures, 0, `${part}: ${JSON.stringify(f)}`);
  assert.ok(ms < PROBE_BOUND_MS, `${part}: root waited ${ms} ms`);
  return f;
}

async function rpcAttacks(ns: Pid1, report: StressReport): Promise<void> {
  await rpcPart(ns, report, "malformed", scale(400, 200_000));
  const big = await rpcPart(ns, report, "oversized", scale(2, 200));
  assert.equal(big["not closed"] ?? 0, 0);
  const pipe = await rpcPart(ns, report, "pipelined", scale(1000, 100_000));
  assert.equal(pipe["unanswered"], 0);
  const flood = await rpcPart(ns, report, "flood", scale(1000, 40_000));
  assert.equal(flood["flood written whole"], "false");
  await rpcPart(ns, report, "batched", scale(5, 500));
  if (LONG) {
    const slow = await rpcPart(ns, report, "slow", 40);
    assert.equal(slow["whole request went through"] ?? 0, 0);
    await rpcPart(ns, report, "idle", 40);
  }
  const { child, firstLine, figures } = attacker(ns, "hold", 700);
  const held = Number(/^held (\d+)/.exec(await firstLine)?.[1] ?? 0);
  report.set("rpc hold: connections held", held);
  assert.ok(held >= 32, `only ${held} connections opened`);
  const { ms } = await probeRoot(ns, new Promise((r) => setTimeout(r, scale(2000, 30_000))));
  report.set("rpc hold: root longest wait ms", Math.round(ms));
  await child.stdin.close();
  report.add("rpc: inputs tried", Number((await figures)["inputs tried"] ?? 0));
  assert.ok(ms < PROBE_BOUND_MS, `hold: root waited ${ms} ms`);
}

/** A job whose every end starts it again runs for a while; root is answered throughout. */
async function eventLoop(ns: Pid1, report: StressReport): Promise<void> {
  await Deno.writeTextFile(`${ns.confdir}/loop.conf`, LOOP);
  assert.equal((await ns.initctl("reload-configuration")).code, 0);
  const kick = await ns.initctl("emit", "--no-wait", "kick");
  assert.equal(kick.code, 0, kick.stderr);
  const { ms } = await probeRoot(ns, new Promise((r) => setTimeout(r, scale(3000, 30_000))));
  const runs = async () => {
    const r = await ns.inside("sh", "-c", "cat /run/loop-runs 2>/dev/null | wc -c");
    return Number(r.stdout.trim());
  };
  const ran = await runs();
  report.set("loop: runs", ran).set("loop: root longest wait ms", Math.round(ms));
  assert.ok(ran > 1, "the loop ran");
  assert.ok(ms < PROBE_BOUND_MS, `the loop: root waited ${ms} ms`);
  // Removing the job file ends the loop: its last run starts nothing.
  await Deno.remove(`${ns.confdir}/loop.conf`);
  assert.equal((await ns.initctl("reload-configuration")).code, 0);
  let last = -1;
  await waitFor("the loop's end", async () => {
    await new Promise((r) => setTimeout(r, 500));
    const n = await runs();
    const still = n === last;
    last = n;
    return still;
  }, { timeoutMs: 20_000 });
}

/** `kill -9` storms on every process below init, and `kill -9 -1` from inside. */
async function chaos(ns: Pid1, report: StressReport): Promise<void> {
  const seconds = scale(5, 60);
  const target = scale(200, 2000);
  const deadline = performance.now() + seconds * 1000;
  let kills = 0;
  let round = 0;
  while (performance.now() < deadline && kills < target) {
    if (++round % 5 === 0) {
      const r = await ns.inside("sh", "-c", "kill -9 -1; exit 0");
      assert.equal(r.code, 0, r.stderr);
      report.add("chaos: kill -9 -1");
    }
    for (const pid of descendants(ns.pid)) {
      if (Math.random() < 0.5) {
        try {
          Deno.kill(pid, "SIGKILL");
          kills++;
        } catch { /* gone already */ }
      }
    }
    await new Promise((r) => setTimeout(r, (seconds * 1000) / target * 4));
  }
  for (const pid of descendants(ns.pid)) {
    try {
      Deno.kill(pid, "SIGKILL");
      kills++;
    } catch { /* gone already */ }
  }
  report.set("chaos: kill -9 sent", kills);
  const t0 = performance.now();
  await waitFor("resp and logger running again", async () => {
    const pids = await mainPids(ns);
    return pids.resp !== undefined && pids.logger !== undefined;
  }, { timeoutMs: 15_000, intervalMs: 100 });
  report.set("chaos: all back in ms", Math.round(performance.now() - t0));
  assert.ok(kills > 0);
}

Deno.test({
  name: "stress pid1: signals, deep expressions, delegation, RPC fuzz, an event loop and kill -9 " +
    "storms leave PID 1 answering",
  ignore: skip !== null,
  async fn() {
    const ns = await startPid1(JOBS);
    let ended = false;
    ns.ended.then(() => (ended = true));
    const report = new StressReport("pid1-attacks");
    let failed: unknown = null;
    try {
      await waitFor("the jobs running", async () => {
        const p = await mainPids(ns);
        return p.svc !== undefined && p.resp !== undefined && p.logger !== undefined;
      }, { timeoutMs: 15_000, intervalMs: 100 });
      const rssBefore = rssKiB(ns.pid);
      report.set("rss before KiB", rssBefore).set("failures", 0);
      const phases: [string, (ns: Pid1, r: StressReport) => Promise<void>][] = [
        ["signals", badSignals],
        ["deep", deepExpression],
        ["delegate", delegated],
        ["rpc", rpcAttacks],
        ["loop", eventLoop],
        ["chaos", chaos],
      ];
      for (const [phase, attack] of phases) {
        const t0 = performance.now();
        await attack(ns, report);
        await after(ns, report, phase, () => ended);
        report.set(`${phase}: s`, Number(((performance.now() - t0) / 1000).toFixed(1)));
      }
      const rssAfter = rssKiB(ns.pid);
      report.set("rss after KiB", rssAfter).set("pid 1 alive throughout", !ended);
      assert.ok(rssAfter! - rssBefore! < 200 * 1024, `init grew from ${rssBefore} to ${rssAfter}`);
    } catch (e) {
      failed = e;
      report.set("daemon alive", !ended).add("failures");
    } finally {
      report.print();
    }
    const out = await ns.stop();
    const link = roots.get(ns.pid);
    if (link !== undefined) Deno.removeSync(link.slice(0, -"/root".length), { recursive: true });
    if (failed !== null) {
      throw new Error(`${failed instanceof Error ? failed.stack : failed}\ninit said:\n${out}`);
    }
    assert.doesNotMatch(
      out,
      /Uncaught|Unhandled rejection|re-executing in 5 seconds|Reloading configuration failed|Re-exec failed/,
      out,
    );
  },
});
