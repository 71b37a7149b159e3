/**
 * Fault injection against the real daemon: a read-only and a full log directory (a tmpfs in
 * the daemon's own mount namespace), jobs whose programs do not exist, configuration
 * directories churned under it, and SIGSTOP/SIGCONT of the daemon and of its jobs. Each test
 * prints its figures (inputs tried, failures, data lost without a report, daemon alive, memory
 * before and after) and fails on any unexpected failure or unreported loss.
 *
 * The long mode (`--long`, see tests/stress/README.md) makes the churn run longer.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DenoConfFileSystem } from "../../daemon/conf/deno_conf_fs.ts";
import { loadConfiguration } from "../../daemon/conf/conf_loader.ts";
import { kill } from "../../sys/libc.ts";
import { probeList } from "../helpers/rpc_probe.ts";
import {
  childrenOf,
  isAlive,
  startTestDaemon,
  type TestDaemon,
  waitFor,
} from "../helpers/test_daemon.ts";
import { rssKiB, scale, StressReport } from "./_report.ts";

/** The log-directory faults mount a tmpfs in a mount namespace of their own: root only. */
const ROOT_ONLY = { ignore: Deno.uid() !== 0 };
const SIGKILL = 9;
const SIGSTOP = 19;
const SIGCONT = 18;

/** Runs the daemon in its own mount namespace with a tmpfs as its cache (and log) directory. */
function tmpfsCache(size: string, then: string): string[] {
  const script = `mount -t tmpfs -o size=${size},mode=0700 tmpfs "$XDG_CACHE_HOME" && ` +
    `mkdir -m 0700 "$XDG_CACHE_HOME/upstart" && ${then} exec "$@"`;
  return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh"];
}

/** Runs a command in the daemon's mount namespace; returns its output. */
async function inDaemonNs(d: TestDaemon, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("nsenter", {
    args: ["--target", String(d.daemonPid), "--mount", "--", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

/** The size of a file as the daemon sees it (in its mount namespace); 0 when absent. */
async function sizeInNs(d: TestDaemon, path: string): Promise<number> {
  const out = await inDaemonNs(d, "sh", "-c", 'stat -c %s "$0" 2>/dev/null || echo 0', path);
  return Number(out.trim());
}

/** A part's report, with the daemon's memory before it. */
function startReport(part: string, d: TestDaemon): StressReport {
  return new StressReport(`faults/${part}`).set("rss before KiB", rssKiB(d.daemonPid));
}

/** Sets the figures every part prints (the daemon's state read now). */
function commonFigures(
  report: StressReport,
  d: TestDaemon,
  f: { inputs: number; failures: number; lost: number },
): StressReport {
  return report.set("inputs tried", f.inputs).set("failures", f.failures)
    .set("data lost", f.lost).set("daemon alive", isAlive(d.daemonPid))
    .set("rss after KiB", rssKiB(d.daemonPid));
}

/** Bytes the daemon reported as dropped for a job. */
function reportedDrops(output: string, job: string): number {
  const re = new RegExp(`${job}: (\\d+) bytes of output dropped`, "g");
  return [...output.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
}

Deno.test(
  "fault: a read-only log directory loses nothing it does not report",
  ROOT_ONLY,
  async () => {
    const written = 1_500_000;
    await using d = await startTestDaemon({
      "chatty.conf": `exec sh -c 'head -c ${written} /dev/zero | tr "\\\\0" x; exec sleep 60'\n`,
    }, { wrap: tmpfsCache("4m", 'mount -o remount,ro "$XDG_CACHE_HOME" &&') });
    const report = startReport("read-only-logdir", d);
    await d.ok("start", "chatty");
    await d.waitForOutput(/chatty: \d+ bytes of output dropped/);
    const cache = join(d.dir, "cache");
    await inDaemonNs(d, "mount", "-o", "remount,rw", cache);
    await d.ok("notify-disk-writeable");
    const log = join(d.logDir, "chatty.log");
    const inFile = await waitFor("chatty.log written out", async () => {
      const n = await sizeInNs(d, log);
      return n > 0 && n + reportedDrops(d.output, "chatty") === written ? n : null;
    }, { timeoutMs: 20_000 }).catch(() => sizeInNs(d, log));
    const dropped = reportedDrops(d.output, "chatty");
    const lost = written - inFile - dropped;
    commonFigures(report, d, { inputs: written, failures: 0, lost })
      .set("bytes in file", inFile).set("bytes reported dropped", dropped).print();
    assert.ok(dropped > 0, "the read-only directory dropped something, and said so");
    assert.equal(lost, 0, d.output);
    await d.ok("stop", "chatty");
  },
);

Deno.test(
  "fault: a full log directory reports what it drops and writes again once freed",
  ROOT_ONLY,
  async () => {
    const first = 1_000_000;
    const second = 300_000;
    const wait = 'while [ ! -e "$HOME/go" ]; do sleep 0.05; done';
    await using d = await startTestDaemon({
      "filler.conf": `exec sh -c 'head -c ${first} /dev/zero | tr "\\\\0" y; ${wait}; ` +
        `head -c ${second} /dev/zero | tr "\\\\0" z; exec sleep 60'\n`,
    }, {
      wrap: tmpfsCache("2m", 'head -c 1500000 /dev/zero > "$XDG_CACHE_HOME/ballast" &&'),
    });
    const report = startReport("full-logdir", d);
    await d.ok("start", "filler");
    await d.waitForOutput(/filler: \d+ bytes of output dropped/);
    const log = join(d.logDir, "filler.log");
    // Free the space, then let the job write again: it must reach the file without a restart.
    await inDaemonNs(d, "rm", join(d.dir, "cache", "ballast"));
    await Deno.writeTextFile(join(d.home, "go"), "");
    const inFile = await waitFor("the second burst in filler.log", async () => {
      const n = await sizeInNs(d, log);
      return n + reportedDrops(d.output, "filler") === first + second ? n : null;
    }, { timeoutMs: 20_000 }).catch(() => sizeInNs(d, log));
    const dropped = reportedDrops(d.output, "filler");
    const lost = first + second - inFile - dropped;
    commonFigures(report, d, { inputs: first + second, failures: 0, lost })
      .set("bytes in file", inFile).set("bytes reported dropped", dropped).print();
    assert.ok(dropped > 0);
    assert.equal(lost, 0, d.output);
    const tail = await inDaemonNs(d, "tail", "-c", "1000", log);
    assert.equal(tail, "z".repeat(1000), "output after the space was freed reached the file");
    await d.ok("stop", "filler");
  },
);

Deno.test("fault: jobs whose programs do not exist fail to start, are logged, and harm nothing", async () => {
  const n = 12;
  const files: Record<string, string> = { "ok.conf": "exec sleep 60\n" };
  for (let i = 0; i < n; i++) {
    files[`gone${i}.conf`] = i % 3 === 0
      ? `exec /nonexistent/daybreak-missing-${i}\n`
      : i % 3 === 1
      ? `pre-start exec /nonexistent/daybreak-missing-${i}\nexec sleep 60\n`
      : `respawn\nexec /nonexistent/daybreak-missing-${i}\n`;
  }
  await using d = await startTestDaemon(files);
  const report = startReport("missing-binaries", d);
  await d.ok("start", "ok");
  let failures = 0;
  for (let i = 0; i < n; i++) {
    const r = await d.initctl("start", `gone${i}`);
    if (r.code === 0 || !r.stderr.includes("Job failed to start")) failures++;
  }
  for (let i = 0; i < n; i++) {
    await d.waitForOutput(`Failed to spawn gone${i} `);
  }
  const answered = await probeList(d.socket, 1000);
  assert.match(await d.ok("status", "ok"), /^ok start\/running, process \d+\n$/);
  await d.assertNoZombies();
  commonFigures(report, d, { inputs: n, failures, lost: 0 })
    .set("list ms", answered === null ? "none" : Math.round(answered)).print();
  assert.equal(failures, 0, d.output);
  assert.notEqual(answered, null);
  await d.ok("stop", "ok");
});

/** A small deterministic generator, so that a failing churn can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

Deno.test("fault: confdirs and job files churned for a while; the loaded set then matches the disk", async () => {
  const base = await Deno.makeTempDir({ prefix: "daybreak-churn-" });
  const dirs = ["a", "b", "c/deep"].map((p) => join(base, p));
  try {
    await using d = await startTestDaemon({ "fixed.conf": "exec sleep 60\n" }, {
      args: dirs.flatMap((p) => ["--append-confdir", p]),
    });
    const report = startReport("confdir-churn", d);
    const seed = Number(Deno.env.get("DAYBREAK_STRESS_SEED") ?? Date.now() % 100000);
    const rnd = prng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const end = performance.now() + scale(3000, 60_000);
    let ops = 0;
    let errors = 0;
    const probes: (number | null)[] = [];
    while (performance.now() < end) {
      const dir = pick(dirs);
      const sub = rnd() < 0.3 ? join(dir, pick(["s1", "s2"])) : dir;
      const file = join(sub, `j${Math.floor(rnd() * 6)}.${rnd() < 0.85 ? "conf" : "override"}`);
      const op = Math.floor(rnd() * 8);
      ops++;
      try {
        switch (op) {
          case 0:
          case 1:
          case 2:
            await Deno.mkdir(sub, { recursive: true });
            await Deno.writeTextFile(file, rnd() < 0.9 ? "exec sleep 60\n" : "bogus stanza\n");
            break;
          case 3:
            await Deno.remove(file);
            break;
          case 4:
            await Deno.rename(file, join(sub, `j${Math.floor(rnd() * 6)}.conf`));
            break;
          case 5:
            await Deno.remove(pick(dirs), { recursive: true });
            break;
          case 6: {
            const from = pick(dirs);
            await Deno.rename(from, `${from}.moved`);
            if (rnd() < 0.7) await Deno.rename(`${from}.moved`, from);
            else await Deno.remove(`${from}.moved`, { recursive: true });
            break;
          }
          case 7:
            await Deno.mkdir(pick(dirs), { recursive: true });
            break;
        }
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.AlreadyExists)) {
          errors++;
        }
      }
      if (ops % 25 === 0) probes.push(await probeList(d.socket, 1000));
      if (rnd() < 0.2) await new Promise((r) => setTimeout(r, Math.floor(rnd() * 30)));
    }
    const sources = [d.confDir, ...dirs].map((path) => ({ path, kind: "dir" as const }));
    const want = async () =>
      [...(await loadConfiguration(new DenoConfFileSystem(), sources)).jobs.keys()].sort();
    const have = async () =>
      (await d.ok("list")).split("\n").filter((l) => l !== "").map((l) => l.split(" ")[0]!)
        .sort();
    let mismatch = "";
    const matched = await waitFor("the loaded jobs to match the disk", async () => {
      const [w, h] = [await want(), await have()];
      mismatch = `disk ${JSON.stringify(w)} daemon ${JSON.stringify(h)}`;
      return JSON.stringify(w) === JSON.stringify(h) ? true : null;
    }, { timeoutMs: 20_000 }).catch(() => false);
    const slow = probes.filter((p) => p === null).length;
    commonFigures(report, d, {
      inputs: ops,
      failures: errors + slow + (matched ? 0 : 1),
      lost: matched ? 0 : 1,
    }).set("seed", seed).set("probes", probes.length).set("unanswered probes", slow).print();
    assert.ok(matched, `seed ${seed}: ${mismatch}`);
    assert.equal(errors, 0);
    assert.equal(slow, 0);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("fault: SIGSTOP/SIGCONT of the daemon and of its jobs", async () => {
  await using d = await startTestDaemon({
    "svc.conf": "respawn\nexec sleep 60\n",
    "frozen.conf": "kill timeout 1\nexec sleep 60\n",
  });
  const report = startReport("sigstop-sigcont", d);
  await d.ok("start", "svc");
  await d.ok("start", "frozen");
  let failures = 0;
  // The daemon stopped while its job dies and a client asks: both are handled once it goes on.
  const svc = (await d.mainPid("svc"))!;
  kill(d.daemonPid, SIGSTOP);
  kill(svc, SIGKILL);
  const pending = probeList(d.socket, 10_000);
  await new Promise((r) => setTimeout(r, 700));
  kill(d.daemonPid, SIGCONT);
  if ((await pending) === null) failures++;
  const respawned = await waitFor("svc respawned", async () => {
    const p = await d.mainPid("svc");
    return p !== null && p !== svc ? p : null;
  }, { timeoutMs: 20_000 }).catch(() => null);
  if (respawned === null) failures++;
  // A job stopped by SIGSTOP is still running; continued, it is the same process.
  const frozen = (await d.mainPid("frozen"))!;
  kill(frozen, SIGSTOP);
  await new Promise((r) => setTimeout(r, 200));
  kill(frozen, SIGCONT);
  await new Promise((r) => setTimeout(r, 200));
  if ((await d.mainPid("frozen")) !== frozen) failures++;
  // Stopped and never continued: `stop` still ends it (SIGKILL after its kill timeout).
  kill(frozen, SIGSTOP);
  const t0 = performance.now();
  const r = await d.initctl("stop", "frozen");
  const stopMs = performance.now() - t0;
  if (r.code !== 0 || isAlive(frozen)) failures++;
  await d.assertNoZombies();
  const zombies = childrenOf(d.daemonPid).length;
  commonFigures(report, d, { inputs: 4, failures, lost: 0 })
    .set("stop of stopped job ms", Math.round(stopMs)).set("children", zombies).print();
  assert.equal(failures, 0, d.output);
  assert.ok(stopMs < 5000, `stop took ${stopMs} ms`);
  await d.ok("stop", "svc");
});
