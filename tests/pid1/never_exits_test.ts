/**
 * A PID-1 daybreak in a PID namespace survives everything its helpers and clients can do to it:
 * every process but init killed (job processes, their children, the writers of `console log`
 * pumps), orphans left behind, job logs on a full file system, malformed requests, a broken job
 * file, a job that cannot start, and every signal it may receive. Afterwards it still answers `initctl version` and `list`,
 * respawns its services, has reaped every orphan, and the kernel's signals became events.
 */
import assert from "node:assert/strict";
import { skipReason, startPid1, waitFor } from "./namespace.ts";

const skip = skipReason();

const JOBS = {
  svc: "start on startup\nrespawn\nexec sleep 1000\n",
  logger: "start on startup\nrespawn\nconsole log\nscript\n" +
    "  while true; do echo tick; sleep 0.1; done\nend script\n",
  forker: "start on startup\nrespawn\nscript\n  sleep 1000 &\n  sleep 1000\nend script\n",
  orphans:
    "start on startup\ntask\nscript\n  (sleep 0.3 &)\n  (sh -c 'sleep 0.4 &' &)\nend script\n",
  broken: "start on (startup\nexec /bin/true\nfrobnicate\n",
  missing: "start on startup\nexec /nonexistent/program\n",
  cad: "start on control-alt-delete\ntask\nexec touch /run/cad\n",
  pwr: "start on power-status-changed\ntask\nexec touch /run/pwr\n",
  kbd: "start on keyboard-request\ntask\nexec touch /run/kbd\n",
};

/** The pid `initctl status JOB` reports, or null. */
async function pidOf(ns: Awaited<ReturnType<typeof startPid1>>, job: string) {
  const r = await ns.initctl("status", job);
  const m = /start\/running, process (\d+)/.exec(r.stdout);
  return m === null ? null : Number(m[1]);
}

Deno.test({
  name:
    "pid1: killed helpers, orphans, bad requests, a broken job file and every signal leave init answering",
  ignore: skip !== null,
  async fn() {
    const ns = await startPid1(JOBS);
    let alive = true;
    ns.ended.then(() => (alive = false));
    try {
      const svc = await waitFor("svc running", () => pidOf(ns, "svc"));
      await waitFor("logger running", () => pidOf(ns, "logger"));
      await waitFor("forker running", () => pidOf(ns, "forker"));

      // The job logs' file system fills up: every later log write fails with ENOSPC.
      let full = await ns.inside(
        "sh",
        "-c",
        "mount -o remount,size=64k /var/log && (dd if=/dev/zero of=/var/log/fill bs=4k 2>/dev/null; true)",
      );
      assert.equal(full.code, 0, full.stderr);
      await new Promise((resolve) => setTimeout(resolve, 300));
      full = await ns.inside("df", "--output=avail", "/var/log");
      assert.match(full.stdout, /\n\s*0\n/, "the log file system is full");

      // Every process but init: job processes, their children, log pump writers, orphans.
      let r = await ns.inside("sh", "-c", "kill -9 -1; exit 0");
      assert.equal(r.code, 0, r.stderr);

      // Malformed input on the control socket (no reply expected for most).
      r = await ns.rpc(
        [
          "garbage",
          "{",
          "[]",
          JSON.stringify({ jsonrpc: "2.0", id: 1, method: "no.such.method" }),
          JSON.stringify({ jsonrpc: "2.0", id: 2, method: "job.start", params: { job: 5 } }),
          JSON.stringify({ jsonrpc: "2.0", id: 3, method: "daemon.shutdown", params: {} }),
          "@big:3000000",
        ],
        { wait: false },
      );
      // The huge line may end the connection: the client sees that, init must not.
      assert.ok(alive, "init survived the malformed requests");

      // Every signal, from inside the namespace and from the host.
      r = await ns.inside(
        "sh",
        "-c",
        "for s in TERM USR1 USR2 HUP INT PWR WINCH QUIT ALRM PIPE CHLD; do kill -s $s 1; done",
      );
      assert.equal(r.code, 0, r.stderr);
      for (const s of ["SIGTERM", "SIGUSR1", "SIGUSR2", "SIGHUP", "SIGQUIT"] as const) {
        Deno.kill(ns.pid, s);
      }

      // Still answering; services respawned; events from the kernel's signals ran their jobs.
      await waitFor("initctl version", async () => (await ns.initctl("version")).code === 0);
      const list = await ns.initctl("list");
      assert.equal(list.code, 0, list.stderr);
      const again = await waitFor("svc respawned", async () => {
        const p = await pidOf(ns, "svc");
        return p !== null && p !== svc ? p : null;
      });
      assert.notEqual(again, svc);
      r = await waitFor("the signal events' jobs", async () => {
        const ls = await ns.inside("ls", "/run");
        return ["cad", "pwr", "kbd"].every((f) => ls.stdout.split("\n").includes(f)) ? ls : null;
      });
      assert.equal(r.code, 0);

      // No zombie anywhere in the namespace once the orphans' sleeps are over.
      await waitFor("no zombies", async () => {
        const st = await ns.inside("sh", "-c", "cat /proc/[0-9]*/stat 2>/dev/null");
        return st.stdout.split("\n").every((l) => !/\) Z /.test(l)) || null;
      }, { timeoutMs: 20_000 });

      assert.ok(alive, "init never exited");
      assert.equal((await ns.initctl("version")).code, 0);
    } catch (e) {
      const diedEarly = !alive;
      const out = await ns.stop();
      throw new Error(`${diedEarly ? "init exited" : String(e)}\ninit said:\n${out}`);
    }
    const out = await ns.stop();
    // Going on is not enough: it must not have ended its session and come back by re-exec.
    assert.doesNotMatch(out, /Session ending|re-executing|Uncaught error|Unhandled rejection/, out);
  },
});

Deno.test({
  name: "pid1: the system socket is open to every user; only root may change anything",
  ignore: skip !== null,
  async fn() {
    const ns = await startPid1({ svc: "start on startup\nexec sleep 1000\n" });
    try {
      const modes = await ns.inside(
        "stat",
        "-c",
        "%a %n",
        "/run/daybreak",
        "/run/daybreak/initctl.sock",
      );
      assert.equal(modes.stdout, "755 /run/daybreak\n666 /run/daybreak/initctl.sock\n");
      const nobody = (...args: string[]) =>
        ns.inside("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", ...args);
      let r = await nobody(`${(await import("./namespace.ts")).ROOT}bin/initctl`, "list");
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^svc start\/running, process \d+$/m);
      r = await nobody(`${(await import("./namespace.ts")).ROOT}bin/initctl`, "stop", "svc");
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /You do not have permission to modify job: svc/);
      assert.match((await ns.initctl("status", "svc")).stdout, /start\/running/);
    } finally {
      await ns.stop();
    }
  },
});
