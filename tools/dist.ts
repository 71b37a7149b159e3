/**
 * `deno task dist [--out DIR]`: builds the self-contained artifact (see docs/pid1.md#the-artifact)
 * with no network: the deno binary, each entry point bundled by `deno bundle` into one JavaScript
 * file under `lib/`, the launchers of `bin/` (which run a bundle when they find one), and the
 * default jobs of `etc/init/`. It runs from any directory with an empty DENO_DIR.
 *
 * Layout of DIR (default `dist/`):
 *   deno              the runtime
 *   bin/NAME          launchers (bin/_launch.sh finds deno and lib/ beside them)
 *   lib/PATH.js       one bundle per entry, at its source path (`lib/cli/initctl.js`)
 *   etc/init/*.conf   the default system jobs
 *   VERSION           daybreak's version and the deno it was built with
 *
 * @module
 */

import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** An entry point and the launchers in `bin/` that run it. */
export interface DistEntry {
  readonly source: string;
  readonly launchers: readonly string[];
}

/**
 * Every entry point of daybreak. Adding a tool is one line; an entry whose source does not exist
 * yet is skipped with a warning.
 */
export const ENTRIES: readonly DistEntry[] = [
  { source: "daemon/main.ts", launchers: ["init"] },
  // `init --container` (bin/init runs it directly).
  { source: "daemon/container_main.ts", launchers: [] },
  {
    source: "cli/initctl.ts",
    launchers: ["initctl", "start", "stop", "restart", "reload", "status"],
  },
  { source: "cli/init_checkconf.ts", launchers: ["init-checkconf"] },
  { source: "cli/telinit.ts", launchers: ["telinit"] },
  { source: "cli/runlevel.ts", launchers: ["runlevel"] },
  { source: "cli/rc.ts", launchers: ["rc"] },
  { source: "cli/service.ts", launchers: ["service"] },
  { source: "cli/shutdown.ts", launchers: ["shutdown"] },
  { source: "cli/halt.ts", launchers: ["halt", "poweroff", "reboot"] },
];

/** Launcher helpers sourced by the launchers, copied whenever present. */
const LAUNCHER_LIBS = ["_launch.sh", "_fifo.sh", "upstart-job"];

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Options of {@linkcode buildDist}. */
export interface DistOptions {
  /** @default `ROOT/dist` */
  readonly out?: string;
  /** The deno binary to ship. @default the one running this script */
  readonly deno?: string;
  /** Receives warnings (skipped entries). */
  readonly warn?: (text: string) => void;
}

/** What was built. */
export interface DistResult {
  readonly out: string;
  readonly bundled: readonly string[];
  readonly launchers: readonly string[];
  readonly skipped: readonly string[];
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

async function bundle(deno: string, source: string, target: string): Promise<void> {
  await Deno.mkdir(dirname(target), { recursive: true });
  const out = await new Deno.Command(deno, {
    args: ["bundle", "--quiet", "--platform", "deno", "-o", target, source],
    cwd: ROOT,
    env: { DENO_DISABLE_NODE_SHIM: "1", NO_COLOR: "1", RUST_BACKTRACE: "0" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `Cannot bundle ${source}: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
}

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isFile) await Deno.copyFile(join(from, entry.name), join(to, entry.name));
  }
}

/**
 * Builds the artifact into a temporary directory beside `out`, then puts it in place.
 *
 * @param options where and with what
 * @returns what was built
 * @throws {Error} when a bundle fails
 */
export async function buildDist(options: DistOptions = {}): Promise<DistResult> {
  const out = options.out ?? join(ROOT, "dist");
  const deno = options.deno ?? Deno.execPath();
  const warn = options.warn ??
    ((text: string) => Deno.stderr.writeSync(new TextEncoder().encode(text)));
  await Deno.mkdir(dirname(out), { recursive: true });
  const tmp = await Deno.makeTempDir({ dir: dirname(out), prefix: ".dist-" });
  try {
    const bundled: string[] = [], launchers: string[] = [], skipped: string[] = [];
    await Deno.chmod(tmp, 0o755);
    await Deno.mkdir(join(tmp, "bin"));
    for (const lib of LAUNCHER_LIBS) {
      await Deno.copyFile(join(ROOT, "bin", lib), join(tmp, "bin", lib));
    }
    for (const entry of ENTRIES) {
      if (!(await exists(join(ROOT, entry.source)))) {
        warn(`dist: skipping ${entry.source}: no such file yet\n`);
        skipped.push(entry.source);
        continue;
      }
      await bundle(deno, entry.source, join(tmp, "lib", entry.source.replace(/\.ts$/, ".js")));
      bundled.push(entry.source);
      for (const name of entry.launchers) {
        const launcher = join(ROOT, "bin", name);
        if (!(await exists(launcher))) {
          warn(`dist: skipping launcher bin/${name}: no such file yet\n`);
          continue;
        }
        await Deno.copyFile(launcher, join(tmp, "bin", name));
        await Deno.chmod(join(tmp, "bin", name), 0o755);
        launchers.push(name);
      }
    }
    await Deno.copyFile(deno, join(tmp, "deno"));
    await Deno.chmod(join(tmp, "deno"), 0o755);
    await copyDir(join(ROOT, "etc", "init"), join(tmp, "etc", "init"));
    const version = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json"))).version;
    await Deno.writeTextFile(
      join(tmp, "VERSION"),
      `daybreak ${version}\ndeno ${Deno.version.deno}\n`,
    );
    await Deno.remove(out, { recursive: true }).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
    await Deno.rename(tmp, out);
    return { out, bundled, launchers, skipped };
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--out");
  const out = at >= 0 ? Deno.args[at + 1] : undefined;
  const result = await buildDist(out === undefined ? {} : { out });
  const text = `dist: ${result.bundled.length} bundles, ${result.launchers.length} launchers in ${
    relative(Deno.cwd(), result.out) || "."
  }\n`;
  Deno.stdout.writeSync(new TextEncoder().encode(text));
}
