/**
 * The daemon and every CLI run under exactly the Deno permissions the README
 * lists: each launcher is run through a recording stand-in for deno (the
 * launchers honour `DAYBREAK_DENO`) that notes its argv and then runs the real
 * deno, and the commands are exercised for real under those flags.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const REAL_DENO = Deno.execPath();

interface Recorded {
  tool: string;
  permissions: string[];
}

/** The `--allow-*`/`-A` flags of a recorded deno argv. */
function permissionFlags(argv: string[]): string[] {
  return argv.filter((a) => a.startsWith("--allow-") || a === "-A");
}

async function setUp(dir: string): Promise<{ deno: string; records: string }> {
  const records = join(dir, "records");
  await Deno.mkdir(records);
  const deno = join(dir, "deno");
  await Deno.writeTextFile(
    deno,
    `#!/bin/sh\nprintf '%s\\n' "$@" > "${records}/$$"\nexec "${REAL_DENO}" "$@"\n`,
  );
  await Deno.chmod(deno, 0o755);
  return { deno, records };
}

async function readRecords(records: string): Promise<Recorded[]> {
  const out: Recorded[] = [];
  for await (const e of Deno.readDir(records)) {
    const argv = (await Deno.readTextFile(join(records, e.name))).trimEnd().split("\n");
    const entry = argv.find((a) => a.endsWith(".ts") && a.startsWith(ROOT)) ?? "";
    out.push({ tool: entry.slice(ROOT.length), permissions: permissionFlags(argv) });
  }
  return out;
}

async function run(cmd: string, args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(join(ROOT, "bin", cmd), {
    args,
    env,
    clearEnv: true,
    cwd: "/",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("every launcher runs its entry with exactly the documented permissions", async () => {
  const dir = await Deno.makeTempDir({ prefix: "daybreak-perms-" });
  const runtime = join(dir, "run");
  await Deno.mkdir(runtime, { mode: 0o700 });
  const conf = join(dir, "conf");
  await Deno.mkdir(conf);
  await Deno.writeTextFile(join(conf, "svc.conf"), "exec sleep 60\n");
  const { deno, records } = await setUp(dir);
  const socket = join(dir, "s.sock");
  const logs = join(dir, "logs");
  const env = { PATH: "/usr/bin:/bin", DAYBREAK_DENO: deno, XDG_RUNTIME_DIR: runtime };
  const daemon = new Deno.Command(join(ROOT, "bin/init"), {
    args: ["--user", "--confdir", conf, "--socket", socket, "--logdir", logs],
    env: { ...env, HOME: dir, XDG_CACHE_HOME: join(dir, "cache") },
    clearEnv: true,
    cwd: "/",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    for (let i = 0; i < 200; i++) {
      try {
        if ((await Deno.lstat(socket)).isSocket) break;
      } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 25));
    }
    // Exercise the daemon under its flags: spawn, log, signal, reload.
    const started = await run("start", ["--socket", socket, "svc"], env);
    assert.match(started.stdout, /^svc start\/running, process \d+\n$/, started.stderr);
    assert.equal((await run("initctl", ["--socket", socket, "reload-configuration"], env)).code, 0);
    const stopped = await run("stop", ["--socket", socket, "svc"], env);
    assert.equal(stopped.stdout, "svc stop/waiting\n", stopped.stderr);
    const job = join(conf, "svc.conf");
    assert.equal((await run("init-checkconf", [job], env)).code, 0);

    const byTool = new Map<string, string[][]>();
    for (const r of await readRecords(records)) {
      byTool.set(r.tool, [...(byTool.get(r.tool) ?? []), r.permissions]);
    }
    const sessions = join(runtime, "upstart/sessions");
    assert.deepEqual(byTool.get("daemon/main.ts"), [[
      "--allow-read",
      `--allow-write=${sessions},${dir},${logs}`,
      `--allow-net=unix:${socket}`,
      "--allow-run",
      "--allow-env",
      "--allow-ffi",
    ]]);
    const cli = byTool.get("cli/initctl.ts") ?? [];
    assert.equal(cli.length, 3);
    // initctl may connect to the system socket, --socket, and the live sessions (here the
    // same socket, announced by the session file): exactly those, for write and net.
    const sockets = (flag: string | undefined, prefix: string) =>
      new Set(flag?.slice(flag.indexOf("=") + 1).split(",").map((p) => p.replace(prefix, "")));
    for (const flags of cli) {
      assert.equal(flags.length, 5);
      assert.equal(flags[0], "--allow-read");
      assert.deepEqual(sockets(flags[1], ""), new Set(["/run/daybreak/initctl.sock", socket]));
      assert.deepEqual(sockets(flags[2], "unix:"), new Set(["/run/daybreak/initctl.sock", socket]));
      assert.ok(flags[1]?.startsWith("--allow-write=") && flags[2]?.startsWith("--allow-net="));
      assert.deepEqual(flags.slice(3), [
        "--allow-sys=uid",
        "--allow-env=UPSTART_SESSION,UPSTART_JOB,UPSTART_INSTANCE,XDG_RUNTIME_DIR",
      ]);
    }
    assert.deepEqual(byTool.get("cli/init_checkconf.ts"), [[
      "--allow-read",
      "--allow-run=sh,/bin/sh",
      "--allow-env",
    ]]);
    for (const [tool, runs] of byTool) {
      for (const flags of runs) {
        assert.ok(!flags.includes("-A") && !flags.includes("--allow-all"), tool);
      }
    }
  } finally {
    daemon.kill("SIGTERM");
    const status = await daemon.status;
    const stderr = new TextDecoder().decode(
      await new Response(daemon.stderr).arrayBuffer().then((b) => new Uint8Array(b)),
    );
    assert.equal(status.code, 0, stderr);
    assert.doesNotMatch(stderr, /NotCapable|Requires .* access/);
    await Deno.remove(dir, { recursive: true });
  }
});
