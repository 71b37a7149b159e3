/**
 * The command FIFO (docs/pid1.md#the-command-fifo) of a PID-1 daybreak in a PID namespace: root's
 * `initctl emit --no-wait` and `telinit N` go through it with no Deno process (the launchers run
 * with `DAYBREAK_DENO=/bin/false`, which fails any fallback to Deno), start jobs and change the
 * runlevel; anyone else falls back to the socket and is refused where the socket refuses;
 * garbage written to the FIFO is logged and dropped while the daemon goes on answering; the FIFO
 * survives a re-exec.
 */
import assert from "node:assert/strict";
import { ROOT, skipReason, startPid1, waitFor } from "./namespace.ts";

const skip = skipReason();
const FIFO = "/run/daybreak/initctl.fifo";
/** Makes any fallback to Deno fail: exit 1, no output. */
const NO_DENO = "DAYBREAK_DENO=/bin/false";

const JOBS = {
  "on-x": 'start on fifo-x\ntask\nscript\n  echo "$FOO $BAR" > /run/on-x\nend script\n',
  "on-2":
    'start on runlevel [2]\ntask\nscript\n  echo "$RUNLEVEL $PREVLEVEL" > /run/on-2\nend script\n',
  "on-y": "start on fifo-y\ntask\nexec touch /run/on-y\n",
  svc: "start on startup\nexec sleep 1000\n",
};

type Ns = Awaited<ReturnType<typeof startPid1>>;

/** The text of `path` inside the namespace, or null while it does not exist. */
async function readInside(ns: Ns, path: string): Promise<string | null> {
  const r = await ns.inside("cat", path);
  return r.code === 0 ? r.stdout : null;
}

Deno.test({
  name: "pid1: root's initctl emit --no-wait and telinit go through the FIFO, with no Deno",
  ignore: skip !== null,
  async fn() {
    const ns = await startPid1(JOBS);
    try {
      const st = await ns.inside("stat", "-c", "%a %u %F", FIFO);
      assert.equal(st.stdout, "600 0 fifo\n");

      let r = await ns.inside(
        "env",
        NO_DENO,
        `${ROOT}bin/initctl`,
        "emit",
        "--no-wait",
        "fifo-x",
        "FOO=bar",
        "BAR=a/b:c,d",
      );
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, "", ""]);
      assert.equal(await waitFor("on-x ran", () => readInside(ns, "/run/on-x")), "bar a/b:c,d\n");

      // Upstart's rc-sysinit sets RUNLEVEL= for telinit: the previous level is then N. telinit
      // records the change in utmp and wtmp when they exist (as sysvinit, it creates neither).
      assert.equal((await ns.inside("touch", "/run/utmp", "/var/log/wtmp")).code, 0);
      r = await ns.inside("env", NO_DENO, "RUNLEVEL=", `${ROOT}bin/telinit`, "2");
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, "", ""]);
      assert.equal(await waitFor("on-2 ran", () => readInside(ns, "/run/on-2")), "2 N\n");
      // Recorded in utmp as telinit does: `runlevel` (through Deno) reads it.
      r = await waitFor("runlevel N 2", async () => {
        const out = await ns.inside(`${ROOT}bin/runlevel`);
        return out.stdout === "N 2\n" ? out : null;
      });
      assert.equal(r.code, 0);

      // Anything but the exact form falls back to Deno (here /bin/false: exit 1).
      for (
        const args of [
          ["emit", "fifo-y"], // waits: not --no-wait
          ["emit", "--no-wait", "fifo-y", "BAD"], // not KEY=VALUE
          ["emit", "--no-wait", "fifo-y", "A=b c"], // a blank
          ["emit", "--no-wait", "-n", "fifo-y"],
          ["--system", "emit", "--no-wait", "fifo-y"],
        ]
      ) {
        r = await ns.inside("env", NO_DENO, `${ROOT}bin/initctl`, ...args);
        assert.equal(r.code, 1, args.join(" "));
      }
      r = await ns.inside("env", NO_DENO, `${ROOT}bin/telinit`, "-e", "A=b", "3");
      assert.equal(r.code, 1);
      // And the real fallback still works.
      r = await ns.initctl("emit", "--no-wait", "fifo-y", "A=b c");
      assert.deepEqual([r.code, r.stderr], [0, ""]);
      await waitFor("on-y ran", () => readInside(ns, "/run/on-y"));
    } finally {
      await ns.stop();
    }
  },
});

Deno.test({
  name: "pid1: a non-root caller does not use the FIFO and is refused by the socket",
  ignore: skip !== null,
  async fn() {
    const ns = await startPid1(JOBS);
    try {
      const nobody = (...args: string[]) =>
        ns.inside("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", ...args);
      // With no Deno to fall back to, the launcher fails: it did not write to the FIFO.
      let r = await nobody("env", NO_DENO, `${ROOT}bin/initctl`, "emit", "--no-wait", "fifo-y");
      assert.equal(r.code, 1);
      r = await nobody(`${ROOT}bin/initctl`, "emit", "--no-wait", "fifo-y");
      assert.equal(r.code, 1);
      assert.match(r.stderr, /permission/i);
      r = await nobody("sh", "-c", `printf 'emit fifo-y\\n' 1<>${FIFO}`);
      assert.notEqual(r.code, 0);
      r = await nobody(`${ROOT}bin/telinit`, "2");
      assert.equal(r.code, 1);
      assert.match(r.stderr, /Need to be root/);
      // Nothing ran.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(await readInside(ns, "/run/on-y"), null);
      assert.equal(await readInside(ns, "/run/on-2"), null);
    } finally {
      await ns.stop();
    }
  },
});

Deno.test({
  name: "pid1: garbage on the FIFO is logged and dropped; the daemon answers; a re-exec keeps it",
  ignore: skip !== null,
  async fn() {
    const ns = await startPid1(JOBS);
    let log = "";
    try {
      const garbage = [
        "printf 'bogus command\\n\\001\\002\\n\\377\\n\\n   \\nemit\\ntelinit\\n' 1<>" + FIFO,
        `head -c 6000 /dev/zero | tr '\\0' a 1<>${FIFO}`,
        `printf '\\n' 1<>${FIFO}`,
        `head -c 20000 /dev/urandom 1<>${FIFO}`,
        `printf '\\nemit fifo-x FOO=after BAR=garbage\\nemit fifo-x =bad\\n' 1<>${FIFO}`,
      ];
      for (const script of garbage) {
        const r = await ns.inside("sh", "-c", script);
        assert.equal(r.code, 0, r.stderr);
      }
      assert.equal(
        await waitFor("on-x ran", () => readInside(ns, "/run/on-x")),
        "after garbage\n",
      );
      assert.equal((await ns.initctl("version")).code, 0);

      // A re-exec through the FIFO; the FIFO goes across it and still works afterwards.
      await ns.inside("rm", "-f", "/run/on-x");
      let r = await ns.inside("env", NO_DENO, `${ROOT}bin/telinit`, "u");
      assert.equal(r.code, 0, r.stderr);
      // The new image's environment names the state's fd: write while it is still restoring.
      await waitFor("the new image", async () => {
        const environ = await ns.inside("cat", "/proc/1/environ");
        return environ.stdout.includes("DAYBREAK_RESTORE_FD=");
      }, { timeoutMs: 20_000, intervalMs: 20 });
      r = await ns.inside(
        "env",
        NO_DENO,
        `${ROOT}bin/initctl`,
        "emit",
        "--no-wait",
        "fifo-x",
        "FOO=reexec",
        "BAR=ok",
      );
      assert.equal(r.code, 0);
      assert.equal(
        await waitFor("on-x ran again", () => readInside(ns, "/run/on-x"), { timeoutMs: 30_000 }),
        "reexec ok\n",
      );
      await waitFor("re-executed", async () => (await ns.initctl("version")).code === 0);
    } finally {
      log = await ns.stop();
    }
    assert.match(log, /initctl\.fifo: line dropped: unknown command "bogus"/);
    assert.match(log, /initctl\.fifo: line dropped: control character/);
    assert.match(log, /initctl\.fifo: line dropped: line is not UTF-8/);
    assert.match(log, /initctl\.fifo: line dropped: telinit: missing runlevel/);
    assert.match(log, /initctl\.fifo: line dropped: line longer than 4095 bytes/);
    assert.match(log, /initctl\.fifo: line dropped: emit: missing event name/);
    assert.match(log, /initctl\.fifo: emit fifo-x: /);
    assert.match(log, /Re-executed/);
  },
});
