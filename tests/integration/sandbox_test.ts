/**
 * A job file using every sandbox stanza (daybreak extensions, `docs/job-files.md`), started and
 * stopped through `bin/init --user` and `bin/initctl`: the live process `initctl status` names
 * carries the sandbox, and the files the job tried to touch show what it was allowed to do.
 */
import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { readText } from "../../sys/libc.ts";
import { cmdline, isAlive, startTestDaemon, waitFor } from "../helpers/test_daemon.ts";

function statusOf(pid: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of (readText(`/proc/${pid}/status`) ?? "").split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) out.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return out;
}

Deno.test("a fully sandboxed job started by initctl runs confined, as its status pid shows", async () => {
  const work = await Deno.makeTempDir({ prefix: "daybreak-sandbox-it-" });
  // Outside /tmp, so that the job sees it through its private /tmp.
  const outside = await Deno.makeTempDir({ dir: "/var/tmp", prefix: "daybreak-sandbox-it-" });
  try {
    for (const d of [work, outside]) await Deno.chmod(d, 0o777);
    await Deno.mkdir(join(work, "rw"));
    await Deno.chmod(join(work, "rw"), 0o777);
    const marker = `daybreak-it-${crypto.randomUUID()}`;
    const rw = join(work, "rw");
    const job = [
      'description "every sandbox stanza"',
      "env PATH=/usr/sbin:/usr/bin:/sbin:/bin",
      "setuid nobody",
      "no-new-privileges",
      "capabilities cap_net_bind_service",
      "private-tmp",
      "protect-system",
      `read-write-paths ${rw}`,
      "private-network",
      "hostname itbox",
      "script",
      `  hostname > ${rw}/hostname`,
      `  ip -br link | cut -d' ' -f1 > ${rw}/links`,
      `  touch /tmp/${marker} && ls -A /tmp > ${rw}/tmp`,
      `  { echo x > ${outside}/file; } 2> ${rw}/refused || true`,
      "  exec sleep 60",
      "end script",
      "",
    ].join("\n");
    await using d = await startTestDaemon({ "boxed.conf": job });

    const started = await d.ok("start", "boxed");
    assert.match(started, /^boxed start\/running, process \d+\n$/);
    const pid = await d.mainPid("boxed");
    const log = () => readText(join(d.logDir, "boxed.log")) ?? "";
    assert.ok(pid !== null, `the job ended; its log:\n${log()}\ndaemon:\n${d.output}`);
    await waitFor("the job's sleep", () => cmdline(pid).join(" ") === "sleep 60" || null);

    const st = statusOf(pid);
    assert.equal(st.get("NoNewPrivs"), "1");
    assert.equal(st.get("CapBnd"), "0000000000000400");
    assert.equal(st.get("CapEff"), "0000000000000000");
    assert.equal(st.get("Uid"), "65534\t65534\t65534\t65534");
    const devices = (readText(`/proc/${pid}/net/dev`) ?? "").split("\n").slice(2)
      .map((l) => l.trim().split(":")[0]).filter((n) => n !== "");
    assert.deepEqual(devices, ["lo"]);

    assert.equal(await Deno.readTextFile(join(rw, "hostname")), "itbox\n");
    assert.equal(await Deno.readTextFile(join(rw, "links")), "lo\n");
    // The private /tmp holds what the job made and the way to its read-write path, nothing else.
    const tmp = (await Deno.readTextFile(join(rw, "tmp"))).trim().split("\n").sort();
    assert.deepEqual(tmp, [basename(work), marker].sort());
    assert.match(await Deno.readTextFile(join(rw, "refused")), /Read-only file system/);
    await assert.rejects(Deno.stat(join(outside, "file")), Deno.errors.NotFound);
    await assert.rejects(Deno.stat(`/tmp/${marker}`), Deno.errors.NotFound);

    assert.equal(await d.ok("stop", "boxed"), "boxed stop/waiting\n");
    assert.equal(isAlive(pid), false);
  } finally {
    await Deno.remove(work, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("a job with a missing read-write path fails to spawn, naming the path", async () => {
  await using d = await startTestDaemon({
    "nopath.conf": "read-write-paths /nonexistent-daybreak-it\nexec sleep 60\n",
  });
  const r = await d.initctl("start", "nopath");
  assert.notEqual(r.code, 0);
  await d.waitForOutput(
    "Failed to spawn nopath main process: unable to sandbox: read-write path " +
      "/nonexistent-daybreak-it: No such file or directory",
  );
  assert.equal(await d.ok("status", "nopath"), "nopath stop/waiting\n");
});
