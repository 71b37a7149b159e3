/**
 * halt, poweroff and reboot with -f in a PID namespace, where reboot(2) ends the namespace: its
 * init is killed with SIGINT (halt, power-off) or SIGHUP (restart). And a timed shutdown's
 * background copy, its pid file and `shutdown -c`, with /run a private tmpfs.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

async function inNamespace(script: string): Promise<Deno.CommandOutput> {
  return await new Deno.Command("unshare", {
    args: [
      "--pid",
      "--fork",
      "--mount-proc",
      "--mount",
      "--propagation",
      "private",
      "sh",
      "-c",
      script,
    ],
    cwd: ROOT,
    env: { PATH: "/usr/bin:/bin" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
}

for (
  const [command, signal] of [
    ["halt -f -d", "SIGINT"],
    ["poweroff -f -d", "SIGINT"],
    ["halt -d -f -i -p -h", "SIGINT"],
    ["reboot -f -d", "SIGHUP"],
  ] as const
) {
  Deno.test(`${command} as the namespace's init ends it with ${signal}`, async () => {
    const out = await inNamespace(`exec bin/${command}`);
    assertEquals(
      { signal: out.signal, stderr: new TextDecoder().decode(out.stderr) },
      { signal, stderr: "" },
    );
  });
}

Deno.test("reboot -f from a process under the namespace's init ends the namespace too", async () => {
  const out = await inNamespace("bin/reboot -f -d; echo survived");
  assertEquals(out.signal, "SIGHUP");
  assertEquals(new TextDecoder().decode(out.stdout), "");
});

Deno.test("shutdown +M leaves a background copy that shutdown -c ends", async () => {
  const out = await inNamespace(`
    mount -t tmpfs tmpfs /run || exit 9
    bin/shutdown -r +10 maintenance || exit 1
    pid=$(cat /run/shutdown.pid)
    [ -d /proc/$pid ] || { echo "no waiter"; exit 2; }
    [ -e /run/nologin ] && { echo "nologin too early"; exit 3; }
    bin/shutdown -r +5 2>/dev/null && { echo "second shutdown accepted"; exit 4; }
    bin/shutdown -c || exit 5
    for i in 1 2 3 4 5 6 7 8 9 10; do [ -d /proc/$pid ] || break; sleep 0.2; done
    [ -d /proc/$pid ] && [ "$(cut -d' ' -f3 /proc/$pid/stat)" != Z ] && { echo "waiter alive"; exit 6; }
    [ -e /run/shutdown.pid ] && { echo "pid file left"; exit 7; }
    bin/shutdown -c 2>/dev/null && { echo "cancelled twice"; exit 8; }
    echo ok
  `);
  const stdout = new TextDecoder().decode(out.stdout);
  assertEquals({ code: out.code, stderr: new TextDecoder().decode(out.stderr) }, {
    code: 0,
    stderr: "",
  });
  assertEquals(
    /^Shutdown scheduled for \d\d:\d\d, use 'shutdown -c' to cancel\.\nok\n$/.test(stdout),
    true,
    stdout,
  );
});
