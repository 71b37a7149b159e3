/**
 * Fills the installed artifact's dependency cache (`PREFIX/.deno_dir`) with V8's compiled code for
 * each bundle, as Deno would after the first run of each tool (see docs/pid1.md#installing): the
 * first boot then starts the daemon from compiled code instead of parsing its bundle, which under
 * an emulated CPU costs seconds (docs/benchmarks.md). The cache is best-effort everywhere: if
 * anything here fails the install goes on without it, and Deno compiles the bundle as before.
 *
 * Deno writes a module's code cache (V8's bytecode of the module's top level and of the functions
 * compiled with it) once the module is compiled and the event loop turns, keyed by the module's
 * file URL, a hash of its source, and V8's flags. So each bundle is imported (not run: its
 * `import.meta.main` block stays off) by the installed deno with the V8 flags of its launcher (for
 * the daemon, those it runs with as PID 1), and
 * the URLs are then rewritten from where the artifact was installed to where it runs (`PREFIX`
 * inside the root). A last plain run lets Deno leave its cache files as it always does (with the
 * write-ahead log beside the database), which a read-only cache at boot needs.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * The V8 flags `bin/init` gives the daemon; a code cache made with other flags is refused
 * (tests/dist/install_test.ts checks that the launcher still says this).
 */
export const DAEMON_V8_FLAGS = "--max-semi-space-size=1,--expose-gc";

/** Those it gives the daemon as PID 1, the run the install prepares `daemon/main.js` for. */
export const PID1_V8_FLAGS = `${DAEMON_V8_FLAGS},--no-lazy`;

/** The V8 flags each bundle under `lib/` is compiled with; the others run without flags. */
const BUNDLE_V8_FLAGS: Readonly<Record<string, string>> = {
  "daemon/main.js": PID1_V8_FLAGS,
  "daemon/container_main.js": DAEMON_V8_FLAGS,
};

/** Deno's code cache database in a DENO_DIR (Deno 2.9). */
const CODE_CACHE_DB = "v8_code_cache_v2";

const WARM_SCRIPT = `// Compiles each bundle (by importing it) so that Deno caches its code.
for (const url of Deno.args) {
  try {
    await import(url);
  } catch {
    // A bundle whose top level needs a permission is compiled (and cached) all the same.
  }
}
`;

async function bundlesUnder(lib: string, rel = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(join(lib, rel))) {
    const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory) found.push(...(await bundlesUnder(lib, path)));
    else if (entry.isFile && entry.name.endsWith(".js")) found.push(path);
  }
  return found.sort();
}

async function runDeno(target: string, script: string, args: readonly string[]): Promise<void> {
  const child = new Deno.Command(join(target, "deno"), {
    args: ["run", "--quiet", "--no-prompt", "--no-config", "--no-lock", ...args],
    clearEnv: true,
    env: {
      DENO_DIR: join(target, ".deno_dir"),
      DENO_DISABLE_NODE_SHIM: "1",
      DENO_NO_UPDATE_CHECK: "1",
      NO_COLOR: "1",
      PATH: "/usr/bin:/bin",
    },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  try {
    const out = await child.output();
    if (!out.success) {
      throw new Error(`${script}: ${new TextDecoder().decode(out.stderr).trim() || out.code}`);
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Fills `target/.deno_dir` with the code cache of every bundle in `target/lib`, for the artifact
 * as it will run at `prefix`.
 *
 * @param target where the artifact is now (`ROOT/PREFIX`)
 * @param prefix where it runs
 * @returns how many bundles are in the cache
 * @throws {Error} when the installed deno cannot run here or the cache cannot be written
 */
export async function warmCodeCache(target: string, prefix: string): Promise<number> {
  const lib = join(target, "lib");
  const bundles = await bundlesUnder(lib);
  const tmp = await Deno.makeTempDir({ prefix: "daybreak-warm-" });
  try {
    const script = join(tmp, "warm.js");
    await Deno.writeTextFile(script, WARM_SCRIPT);
    const url = (path: string) => pathToFileURL(path).href;
    const read = `--allow-read=${lib}`;
    // One deno per set of flags.
    const byFlags = new Map<string, string[]>();
    for (const b of bundles) {
      const flags = BUNDLE_V8_FLAGS[b] ?? "";
      byFlags.set(flags, [...(byFlags.get(flags) ?? []), url(join(lib, b))]);
    }
    for (const [flags, urls] of byFlags) {
      await runDeno(target, script, [
        ...(flags === "" ? [] : [`--v8-flags=${flags}`]),
        read,
        script,
        ...urls,
      ]);
    }
    const db = new DatabaseSync(join(target, ".deno_dir", CODE_CACHE_DB));
    let cached = 0;
    try {
      const move = db.prepare("UPDATE codecache SET specifier = ? WHERE specifier = ?");
      const has = db.prepare("SELECT count(*) AS n FROM codecache WHERE specifier = ?");
      for (const b of bundles) {
        const at = url(join(lib, b)), runs = url(join(prefix, "lib", b));
        if (at !== runs) move.run(runs, at);
        cached += Number((has.get(runs) as { n: number }).n);
      }
      db.prepare("DELETE FROM codecache WHERE specifier = ?").run(url(script));
    } finally {
      db.close();
    }
    // Closing the database removed its write-ahead log; Deno's own run puts it back.
    await runDeno(target, script, [script]);
    return cached;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}
