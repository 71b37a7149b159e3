/**
 * One artifact per test process: `deno task dist` built into a temporary directory the first time
 * a test asks, and removed when the process ends its tests.
 *
 * @module
 */

import { join } from "node:path";
import { buildDist, type DistResult } from "../../tools/dist.ts";

let built: Promise<{ dir: string; result: DistResult }> | null = null;

/** The artifact, built once; `dir` holds `dist/`. */
export function testDist(): Promise<{ dir: string; result: DistResult }> {
  built ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "daybreak-dist-" });
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
    const result = await buildDist({ out: join(dir, "dist"), warn: () => {} });
    return { dir, result };
  })();
  return built;
}

/** Runs a program with `env -i PATH=/usr/bin:/bin` semantics from `/`, plus `env`. */
export async function runClean(
  program: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(program, {
    args: [...args],
    cwd: "/",
    clearEnv: true,
    env: { PATH: "/usr/bin:/bin", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/**
 * Starts `BIN/init --user` on a private tree, waits for its socket, and stops it on dispose.
 *
 * @param bin the launchers' directory
 * @param env more environment (an empty DENO_DIR, say)
 * @param jobs job files (name → text) written to the confdir before the daemon starts
 */
export async function startUserDaemon(
  bin: string,
  env: Readonly<Record<string, string>> = {},
  jobs: Readonly<Record<string, string>> = {},
): Promise<{ socket: string; confdir: string } & AsyncDisposable> {
  const tree = await Deno.makeTempDir({ prefix: "daybreak-dist-daemon-" });
  const confdir = join(tree, "conf"), runtime = join(tree, "run"), socket = join(tree, "s.sock");
  await Deno.mkdir(confdir);
  for (const [name, text] of Object.entries(jobs)) {
    await Deno.writeTextFile(join(confdir, name), text);
  }
  await Deno.mkdir(runtime, { mode: 0o700 });
  const child = new Deno.Command(join(bin, "init"), {
    args: ["--user", "--confdir", confdir, "--socket", socket, "--logdir", join(tree, "log")],
    cwd: "/",
    clearEnv: true,
    env: { PATH: "/usr/bin:/bin", HOME: tree, XDG_RUNTIME_DIR: runtime, ...env },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const deadline = Date.now() + 30_000;
  while (!(await Deno.stat(socket).then(() => true, () => false))) {
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await child.status;
      throw new Error(`Cannot start ${bin}/init: no socket after 30 s: ${await stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    socket,
    confdir,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
      await stderr;
      await Deno.remove(tree, { recursive: true });
    },
  };
}
