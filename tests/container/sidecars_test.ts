/**
 * Sidecar jobs in container mode (see docs/container.md): job files from `--confdir` run beside
 * the main process with Upstart semantics: `start on starting main` runs before it,
 * `start on started main` after, respawn works, `initctl` works inside the container, and when
 * the main process ends the sidecars are stopped, `stopped main` carries its exit status, and
 * init exits with that status.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { isAlive } from "../helpers/procfs.ts";
import { ROOT, SETUPS, shInNamespaces, startInit, tempDir } from "./_harness.ts";

const INITCTL = `${ROOT}/bin/initctl`;

async function initctl(socket: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command(INITCTL, { args: ["--socket", socket, ...args] }).output();
  return new TextDecoder().decode(out.stdout);
}

const pidOf = (status: string): number | null => {
  const m = /start\/running, process (\d+)/.exec(status);
  return m === null ? null : Number(m[1]);
};

for (const setup of SETUPS) {
  Deno.test(`[${setup}] sidecars start, respawn, stop with the main process`, async () => {
    await using dir = await tempDir();
    const jobs = join(dir.path, "jobs");
    const socket = join(dir.path, "initctl.sock");
    await Deno.mkdir(jobs);
    await Deno.writeTextFile(
      join(jobs, "side.conf"),
      "start on started main\nrespawn\nkill timeout 2\nexec sleep 1000\n",
    );
    await Deno.writeTextFile(
      join(jobs, "mask.conf"),
      "start on started main\ntask\nconsole output\nexec grep ^SigBlk: /proc/self/status\n",
    );
    await Deno.writeTextFile(
      join(jobs, "before.conf"),
      `start on starting main\ntask\nexec touch ${dir.path}/before-ran\n`,
    );
    await Deno.writeTextFile(
      join(jobs, "after.conf"),
      `start on stopped main\ntask\nexec sh -c 'echo "$RESULT $EXIT_STATUS" > ${dir.path}/after'\n`,
    );
    // The main process checks that `before` ran first, shows `initctl list` from inside, and
    // ends (status 6) once the test creates the `end` file.
    const main = `[ -e ${dir.path}/before-ran ] || exit 9
${INITCTL} --socket ${socket} list | sort
while [ ! -e ${dir.path}/end ]; do sleep 0.02; done
exit 6`;
    await using init = startInit(setup, [
      "--container",
      "--confdir",
      jobs,
      "--socket",
      socket,
      "--logdir",
      join(dir.path, "log"),
      "--",
      "sh",
      "-c",
      main,
    ]);
    let pid: number | null = null;
    const deadline = Date.now() + 15_000;
    while (pid === null && Date.now() < deadline) {
      pid = pidOf(await initctl(socket, "status", "side"));
      if (pid === null) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(pid !== null, "side is running");
    // Respawn: kill the sidecar's process; a new one takes its place.
    if (setup === "plain") Deno.kill(pid, "SIGKILL");
    else {
      // initctl shows the namespace's pid: kill it from inside the namespace.
      const ns = String(await init.initPid());
      await new Deno.Command("nsenter", {
        args: ["-t", ns, "-p", "-m", "--", "kill", "-KILL", String(pid)],
      }).output();
    }
    let again: number | null = null;
    // A deadline of its own: the wait above may have used most of the first one.
    const respawnDeadline = Date.now() + 15_000;
    while ((again === null || again === pid) && Date.now() < respawnDeadline) {
      again = pidOf(await initctl(socket, "status", "side"));
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(again !== null && again !== pid, "side respawned");
    await Deno.writeTextFile(join(dir.path, "end"), "");
    const r = await init.result();
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stdout, /before stop\/waiting/);
    assert.match(r.stdout, /^SigBlk:\s*0+$/m, "sidecars start with nothing blocked");
    assert.match(r.stdout, /side start\/running, process \d+/);
    assert.equal((await Deno.readTextFile(join(dir.path, "after"))).trim(), "failed 6");
    if (setup === "plain") assert.ok(!isAlive(again!), "the sidecar was stopped");
    assert.equal(await Deno.lstat(socket).then(() => true, () => false), false, "socket removed");
  });
}

Deno.test("[pidns] without --confdir, job files come from /etc/init when it exists", async () => {
  // /etc/init is created only inside a private mount namespace, on an overlay over /etc.
  await using dir = await tempDir();
  await Deno.mkdir(join(dir.path, "upper"));
  await Deno.mkdir(join(dir.path, "work"));
  const script = `mount -t overlay overlay -o lowerdir=/etc,upperdir=${dir.path}/upper,` +
    `workdir=${dir.path}/work /etc && mkdir /etc/init && ` +
    `printf 'start on started main\\ntask\\nconsole output\\nexec sh -c "echo etc-init-ran; ` +
    `touch /run/hello-ran"\\n' ` +
    `>/etc/init/hello.conf && mount -t tmpfs none /run && mount -t tmpfs none /var/log && ` +
    // The main process waits (20 s at most, a loaded machine) until the sidecar task has run.
    `exec bin/init --container -- sh -c 'for i in $(seq 100); do ` +
    `[ -e /run/hello-ran ] && break; sleep 0.2; done; sleep 0.2; bin/initctl status hello'`;
  const out = await shInNamespaces(script);
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(stdout, /etc-init-ran/);
  assert.match(stdout, /hello stop\/waiting/, "initctl found /run/daybreak/initctl.sock itself");
});
