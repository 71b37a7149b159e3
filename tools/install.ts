/**
 * `deno task install --root DIR [--dist DIR] [--prefix PATH]`: installs daybreak into a root file
 * system (see docs/pid1.md#installing): the artifact of `deno task dist` under PREFIX (default
 * `/usr/lib/daybreak`), `/sbin/init` and every tool as a relative symlink to its launcher, and the
 * default jobs into `/etc/init` where no file of that name exists. A file the links replace that
 * is not daybreak's own is kept beside it as `NAME.pre-daybreak`, the way back out.
 *
 * @module
 */

import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { buildDist } from "./dist.ts";
import { warmCodeCache } from "./install_code_cache.ts";

/** The programs linked into `/sbin`. */
export const SBIN_TOOLS = [
  "init",
  "initctl",
  "start",
  "stop",
  "restart",
  "reload",
  "status",
  "telinit",
  "runlevel",
  "shutdown",
  "halt",
  "poweroff",
  "reboot",
  "service",
  "init-checkconf",
] as const;

/** Suffix of a replaced file kept for the way back. */
export const SAVED_SUFFIX = ".pre-daybreak";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Options of {@linkcode install}. */
export interface InstallOptions {
  /** The root file system to install into. */
  readonly root: string;
  /** A built artifact. @default `dist/` of the checkout, built first when missing */
  readonly dist?: string;
  /** Where the artifact goes, as seen from inside the root. @default "/usr/lib/daybreak" */
  readonly prefix?: string;
  /** Fill the artifact's cache with the bundles' compiled code (tools/install_code_cache.ts). @default true */
  readonly codeCache?: boolean;
  readonly log?: (text: string) => void;
}

/** What was installed. */
export interface InstallResult {
  readonly prefix: string;
  readonly linked: readonly string[];
  readonly missing: readonly string[];
  readonly jobs: readonly string[];
  readonly saved: readonly string[];
  /** How many bundles have their compiled code in the artifact's cache (0 when it failed). */
  readonly codeCache: number;
}

async function lstat(path: string): Promise<Deno.FileInfo | null> {
  return await Deno.lstat(path).catch(() => null);
}

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true, mode: 0o755 });
  for await (const entry of Deno.readDir(from)) {
    if (entry.name === ".deno_dir") continue; // a cache the artifact may have made for itself
    const src = join(from, entry.name), dst = join(to, entry.name);
    if (entry.isDirectory) await copyTree(src, dst);
    else if (entry.isSymlink) await Deno.symlink(await Deno.readLink(src), dst);
    else if (entry.isFile) {
      await Deno.copyFile(src, dst);
      await Deno.chmod(dst, ((await Deno.stat(src)).mode ?? 0o644) & 0o777);
    }
  }
}

/** The directory `path` really is inside `root` (`/sbin` is `usr/sbin` on merged-/usr systems). */
async function realInRoot(root: string, path: string): Promise<string> {
  let dir = join(root, path);
  for (let i = 0; i < 8; i++) {
    const info = await lstat(dir);
    if (info === null || !info.isSymlink) return dir;
    const target = await Deno.readLink(dir);
    dir = target.startsWith("/") ? join(root, target) : join(dirname(dir), target);
  }
  return dir;
}

/**
 * Installs the artifact into `options.root`.
 *
 * @param options where from and to
 * @returns what was done
 */
export async function install(options: InstallOptions): Promise<InstallResult> {
  const log = options.log ?? (() => {});
  const prefix = options.prefix ?? "/usr/lib/daybreak";
  let dist = options.dist ?? join(ROOT, "dist");
  if ((await lstat(join(dist, "deno"))) === null) {
    log(`install: building ${dist}\n`);
    dist = (await buildDist({ out: dist })).out;
  }
  // Into place by rename, so a running system never sees half an artifact.
  const target = join(options.root, prefix);
  await Deno.mkdir(dirname(target), { recursive: true });
  const staging = `${target}.new-${Deno.pid}`;
  await Deno.remove(staging, { recursive: true }).catch(() => {});
  await copyTree(dist, staging);
  const old = `${target}.old-${Deno.pid}`;
  if ((await lstat(target)) !== null) await Deno.rename(target, old);
  await Deno.rename(staging, target);
  await Deno.remove(old, { recursive: true }).catch(() => {});
  let codeCache = 0;
  if (options.codeCache ?? true) {
    try {
      codeCache = await warmCodeCache(target, prefix);
    } catch (e) {
      // Only a speed-up: without it, each bundle is compiled at its first run as before.
      log(`install: no code cache: ${e instanceof Error ? e.message : e}\n`);
    }
  }

  const sbin = await realInRoot(options.root, "/sbin");
  await Deno.mkdir(sbin, { recursive: true });
  const linked: string[] = [], missing: string[] = [], saved: string[] = [];
  for (const tool of SBIN_TOOLS) {
    const launcher = join(target, "bin", tool);
    if ((await lstat(launcher)) === null) {
      missing.push(tool);
      continue;
    }
    const link = join(sbin, tool);
    const wanted = relative(sbin, launcher);
    const info = await lstat(link);
    if (info !== null) {
      const ours = info.isSymlink && (await Deno.readLink(link)) === wanted;
      if (ours) {
        linked.push(tool);
        continue;
      }
      if ((await lstat(link + SAVED_SUFFIX)) === null) {
        await Deno.rename(link, link + SAVED_SUFFIX);
        saved.push(tool);
      } else {
        await Deno.remove(link);
      }
    }
    await Deno.symlink(wanted, link);
    linked.push(tool);
  }

  const jobs: string[] = [];
  const etcInit = join(await realInRoot(options.root, "/etc"), "init");
  await Deno.mkdir(etcInit, { recursive: true });
  for await (const entry of Deno.readDir(join(target, "etc", "init"))) {
    if (!entry.isFile || !entry.name.endsWith(".conf")) continue;
    const dst = join(etcInit, entry.name);
    if ((await lstat(dst)) !== null) continue;
    await Deno.copyFile(join(target, "etc", "init", entry.name), dst);
    jobs.push(entry.name);
  }
  return { prefix, linked, missing, jobs: jobs.sort(), saved, codeCache };
}

if (import.meta.main) {
  const value = (name: string): string | undefined => {
    const at = Deno.args.indexOf(name);
    const eq = Deno.args.find((a) => a.startsWith(`${name}=`));
    return at >= 0 ? Deno.args[at + 1] : eq?.slice(name.length + 1);
  };
  const root = value("--root");
  const write = (text: string) => Deno.stderr.writeSync(new TextEncoder().encode(text));
  if (root === undefined || root === "") {
    write("Usage: deno task install --root DIR [--dist DIR] [--prefix PATH] [--no-code-cache]\n");
    Deno.exit(2);
  }
  const dist = value("--dist"), prefix = value("--prefix");
  const result = await install({
    root,
    codeCache: !Deno.args.includes("--no-code-cache"),
    log: write,
    ...(dist === undefined ? {} : { dist }),
    ...(prefix === undefined ? {} : { prefix }),
  });
  write(
    `install: ${result.prefix} in ${root}; linked ${result.linked.join(" ")}\n` +
      (result.missing.length > 0 ? `install: not built yet: ${result.missing.join(" ")}\n` : "") +
      (result.saved.length > 0
        ? `install: kept the replaced ${
          result.saved.map((t) => `sbin/${t}`).join(" ")
        } as *${SAVED_SUFFIX}\n`
        : "") +
      `install: default jobs added: ${result.jobs.join(" ") || "none"}\n` +
      `install: compiled code cached for ${result.codeCache} bundles\n`,
  );
}
