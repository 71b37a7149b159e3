/**
 * Builds the initramfs a test guest boots from: busybox, our `/init`, and optionally deno, the
 * AppArmor tools and the daybreak source tree, plus a scenario's own files. Images are cached by
 * a hash of everything that goes in, so a repeated run only pays for hashing.
 *
 * @module
 */

import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CpioEntry, encodeCpio } from "./cpio.ts";
import { runTool, vmCacheDir, VmSetupError, withFileLock } from "./_host.ts";
import { buildDist } from "../../tools/dist.ts";
import { install } from "../../tools/install.ts";

/** A file for the guest: copied from the host, given as text, or a symlink to `symlink`. */
export type GuestFile =
  | { readonly hostPath: string; readonly mode?: number }
  | { readonly text: string; readonly mode?: number }
  | { readonly symlink: string };

/** Options of {@linkcode buildInitramfs}. */
export interface InitramfsOptions {
  /** Guest path → content. Applied last, so they may replace anything (even `/init`). */
  readonly files?: Readonly<Record<string, GuestFile>>;
  /** Add `/usr/bin/deno` and its glibc libraries. @default false */
  readonly withDeno?: boolean;
  /** Add `/sbin/apparmor_parser`, `/usr/bin/aa-exec`, parser.conf and the feature ABI file. @default false */
  readonly withAppArmor?: boolean;
  /**
   * Add the daybreak tree at `/daybreak` with its npm cache, so `bin/*` launchers and
   * `deno run --cached-only` work offline in the guest. Implies `withDeno`. @default false
   */
  readonly withDaybreak?: boolean;
  /**
   * Where `withDaybreak` puts the tree. Elsewhere than {@linkcode GUEST_DAYBREAK_ROOT}, the tree
   * is laid out as a copied checkout: the deno program itself (not a link to `/usr/bin/deno`) at
   * `tools/deno/node_modules/deno/deno`, and no `/usr/bin/deno` unless `withDeno`.
   * @default GUEST_DAYBREAK_ROOT
   */
  readonly daybreakAt?: string;
  /**
   * Build `deno task dist` and install it at `/` with `deno task install`: daybreak's launchers
   * under `/usr/lib/daybreak`, `/sbin/init` and the tools linked to them (over busybox's), and
   * the default jobs in `/etc/init`. Boot it with `append: "rdinit=/sbin/init"`. @default false
   */
  readonly withDist?: boolean;
  /**
   * `"none"` makes an image about twice as large (deno alone: 101 MB against 56 MB) that boots
   * about 1 s sooner, since the guest no longer inflates it under TCG. @default "gzip"
   */
  readonly compression?: "gzip" | "none";
  /** Where images are cached. @default the result of `vmCacheDir()` */
  readonly cacheDir?: string;
}

/** Where the daybreak tree is placed in the guest. */
export const GUEST_DAYBREAK_ROOT = "/daybreak";

// Bump when the image layout changes, so cached images built by older code are not reused.
const LAYOUT_VERSION = "2";
const KEEP_IMAGES = 8;
const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = join(HERE, "..", "..");
const DENO_IN_REPO = "tools/deno/node_modules/deno/deno";

type Node =
  | { kind: "dir"; mode: number }
  | { kind: "host"; mode: number; hostPath: string; size: number; mtime: number }
  | { kind: "text"; mode: number; text: string }
  | { kind: "symlink"; target: string };

class Tree {
  readonly nodes = new Map<string, Node>();

  dir(path: string, mode = 0o755): void {
    if (path === "/" || this.nodes.get(path)?.kind === "dir") return;
    this.dir(dirname(path));
    this.nodes.set(path, { kind: "dir", mode });
  }

  set(path: string, node: Node): void {
    this.dir(dirname(path));
    this.nodes.set(path, node);
  }

  async host(path: string, hostPath: string, mode?: number): Promise<void> {
    const info = await Deno.stat(hostPath).catch((e) => {
      throw new VmSetupError(`add ${hostPath} to the initramfs`, String(e));
    });
    this.set(path, {
      kind: "host",
      mode: mode ?? (info.mode ?? 0o644) & 0o7777,
      hostPath,
      size: info.size,
      mtime: info.mtime?.getTime() ?? 0,
    });
  }

  /** Adds an ELF program and, through `ldd`, the shared libraries it loads. */
  async program(path: string, hostPath: string): Promise<void> {
    await this.host(path, hostPath);
    const out = await runTool("ldd", [hostPath]);
    if (out.code !== 0) return; // a static program ("not a dynamic executable")
    for (const line of out.stdout.split("\n")) {
      const lib = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line)?.[1];
      if (lib !== undefined && !this.nodes.has(lib)) await this.host(lib, lib);
    }
  }
}

async function isElf(hostPath: string): Promise<boolean> {
  using file = await Deno.open(hostPath);
  const magic = new Uint8Array(4);
  return (await file.read(magic)) === 4 && magic.join(",") === "127,69,76,70";
}

async function addBase(tree: Tree): Promise<void> {
  for (const d of ["/proc", "/sys", "/dev", "/tmp", "/run", "/root", "/var/tmp", "/etc"]) {
    tree.dir(d, d.endsWith("tmp") ? 0o1777 : 0o755);
  }
  await tree.host("/bin/busybox", "/bin/busybox", 0o755);
  const list = await runTool("/bin/busybox", ["--list-full"]);
  if (list.code !== 0) throw new VmSetupError("list the busybox applets", list.stderr);
  for (const applet of list.stdout.split("\n").filter((l) => l !== "")) {
    if (applet !== "bin/busybox") {
      tree.set(`/${applet}`, { kind: "symlink", target: "/bin/busybox" });
    }
  }
  tree.set("/etc/passwd", {
    kind: "text",
    mode: 0o644,
    text: "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
  });
  tree.set("/etc/group", { kind: "text", mode: 0o644, text: "root:x:0:\nnogroup:x:65534:\n" });
  await tree.host("/init", join(HERE, "init.sh"), 0o755);
  await tree.host("/vmlib.sh", join(HERE, "vmlib.sh"), 0o644);
}

async function denoOnHost(): Promise<string> {
  const inRepo = join(REPO_ROOT, DENO_IN_REPO);
  return (await Deno.stat(inRepo).catch(() => null))?.isFile ? inRepo : Deno.execPath();
}

async function addDeno(tree: Tree): Promise<void> {
  await tree.program("/usr/bin/deno", await denoOnHost());
}

async function addAppArmor(tree: Tree): Promise<void> {
  await tree.program("/sbin/apparmor_parser", "/sbin/apparmor_parser");
  await tree.program("/usr/bin/aa-exec", "/usr/bin/aa-exec");
  await tree.host("/etc/apparmor/parser.conf", "/etc/apparmor/parser.conf");
  const features = "/usr/share/apparmor-features/features";
  await tree.host(features, features);
  tree.dir("/etc/apparmor.d");
  tree.dir("/var/cache/apparmor");
}

/** Top-level parts of the repository never copied into the guest (tools/deno is added as deno). */
const SKIP_IN_REPO = new Set([".git", "tools/deno", "dist", "node_modules", ".ci/out"]);

async function addRepoTree(
  tree: Tree,
  hostDir: string,
  rel: string,
  at = GUEST_DAYBREAK_ROOT,
): Promise<void> {
  for await (const entry of Deno.readDir(hostDir)) {
    const relPath = rel === "" ? entry.name : `${rel}/${entry.name}`;
    if (SKIP_IN_REPO.has(relPath) || entry.name === "node_modules") continue;
    // Of the deno cache only the npm packages are needed; the rest are host-specific databases.
    if (rel === ".deno_dir" && entry.name !== "npm") continue;
    const hostPath = join(hostDir, entry.name);
    const guestPath = `${at}/${relPath}`;
    if (entry.isSymlink && relPath === ".deno_dir") {
      // A work tree may share its cache through a symlink: the guest needs the files.
      tree.dir(guestPath);
      await addRepoTree(tree, await Deno.realPath(hostPath), relPath, at);
    } else if (entry.isSymlink) {
      tree.set(guestPath, { kind: "symlink", target: await Deno.readLink(hostPath) });
    } else if (entry.isDirectory) {
      tree.dir(guestPath);
      await addRepoTree(tree, hostPath, relPath, at);
    } else if (entry.isFile) {
      await tree.host(guestPath, hostPath);
    }
  }
}

async function addDaybreak(tree: Tree, at: string): Promise<void> {
  await addRepoTree(tree, REPO_ROOT, "", at);
  // bin/_launch.sh looks for deno here first.
  if (at === GUEST_DAYBREAK_ROOT) {
    tree.set(`${at}/${DENO_IN_REPO}`, { kind: "symlink", target: "/usr/bin/deno" });
  } else {
    await tree.program(`${at}/${DENO_IN_REPO}`, await denoOnHost());
  }
}

/** Adds every file, directory and symlink under `hostDir` at the same path in the guest. */
async function addHostTree(tree: Tree, hostDir: string, guestDir: string): Promise<void> {
  for await (const entry of Deno.readDir(hostDir)) {
    const hostPath = join(hostDir, entry.name);
    const guestPath = `${guestDir}/${entry.name}`;
    if (entry.isSymlink) {
      tree.set(guestPath, { kind: "symlink", target: await Deno.readLink(hostPath) });
    } else if (entry.isDirectory) {
      tree.dir(guestPath);
      await addHostTree(tree, hostPath, guestPath);
    } else if (entry.isFile) {
      await tree.host(guestPath, hostPath);
    }
  }
}

/** Builds and installs the artifact into `work`, then adds the installed root to the guest. */
async function addDist(tree: Tree, work: string): Promise<void> {
  const root = join(work, "root");
  await Deno.mkdir(root, { recursive: true });
  const { out } = await buildDist({ out: join(work, "dist"), warn: () => {} });
  // DAYBREAK_VM_CODE_CACHE=0 installs without the compiled code cache, to compare boots.
  await install({ root, dist: out, codeCache: Deno.env.get("DAYBREAK_VM_CODE_CACHE") !== "0" });
  await addHostTree(tree, root, "");
  // Its glibc libraries, found through ldd.
  await tree.program("/usr/lib/daybreak/deno", join(root, "usr/lib/daybreak/deno"));
}

async function addFiles(tree: Tree, files: Readonly<Record<string, GuestFile>>): Promise<void> {
  for (const [path, file] of Object.entries(files)) {
    if (!path.startsWith("/")) {
      throw new VmSetupError(`add ${path} to the initramfs`, "guest paths must be absolute");
    }
    if ("symlink" in file) {
      tree.set(path, { kind: "symlink", target: file.symlink });
    } else if ("text" in file) {
      tree.set(path, { kind: "text", mode: file.mode ?? 0o644, text: file.text });
    } else if (
      (await isElf(file.hostPath)) && ((await Deno.stat(file.hostPath)).mode ?? 0) & 0o111
    ) {
      await tree.program(path, file.hostPath);
    } else {
      await tree.host(path, file.hostPath, file.mode);
    }
  }
}

async function imageKey(tree: Tree): Promise<string> {
  const manifest = [...tree.nodes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const bytes = new TextEncoder().encode(JSON.stringify([LAYOUT_VERSION, manifest]));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest.slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function* cpioEntries(tree: Tree): Generator<CpioEntry> {
  const encoder = new TextEncoder();
  // Generated members get the build time: a zero mtime misleads tools that compare timestamps
  // (apparmor_parser's cache), and host files keep their own.
  const built = Math.floor(Date.now() / 1000);
  const paths = [...tree.nodes.keys()].sort();
  for (const path of paths) {
    const node = tree.nodes.get(path)!;
    if (node.kind === "dir") yield { kind: "dir", path, mode: node.mode, mtime: built };
    else if (node.kind === "symlink") {
      yield { kind: "symlink", path, target: node.target, mtime: built };
    } else if (node.kind === "text") {
      yield { kind: "file", path, mode: node.mode, mtime: built, data: encoder.encode(node.text) };
    } else {
      const mtime = Math.floor(node.mtime / 1000);
      yield { kind: "file", path, mode: node.mode, mtime, data: Deno.readFileSync(node.hostPath) };
    }
  }
}

async function writeImage(tree: Tree, target: string, gzip: boolean): Promise<void> {
  const chunks = [...encodeCpio(cpioEntries(tree))];
  const archive = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    archive.set(chunk, offset);
    offset += chunk.length;
  }
  // Level 1: three times faster than the default, for a quarter more size.
  const tmp = `${target}.${crypto.randomUUID()}.tmp`;
  await Deno.writeFile(tmp, gzip ? gzipSync(archive, { level: 1 }) : archive);
  await Deno.rename(tmp, target);
}

async function pruneImages(dir: string, keep: string): Promise<void> {
  const images: { path: string; mtime: number }[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!/\.cpio(\.gz)?$/.test(entry.name)) continue;
    const path = join(dir, entry.name);
    images.push({ path, mtime: (await Deno.stat(path)).mtime?.getTime() ?? 0 });
  }
  images.sort((a, b) => b.mtime - a.mtime);
  for (const old of images.slice(KEEP_IMAGES)) {
    if (old.path !== keep) await Deno.remove(old.path).catch(() => {});
  }
}

/**
 * Builds (or finds in the cache) a newc initramfs, gzip'd by default. The guest's `/init` is `init.sh`: it
 * mounts proc, sys, dev, tmp, run and securityfs, runs `/scenario`, prints `VM-DONE` and powers
 * off. `/vmlib.sh` holds shell helpers that print `VM-RESULT:` lines.
 *
 * @returns the image path; it stays valid until several newer images have been built
 * @throws {VmSetupError} when an input file is missing or a host tool fails
 */
export async function buildInitramfs(options: InitramfsOptions = {}): Promise<string> {
  const tree = new Tree();
  await addBase(tree);
  const daybreakAt = options.daybreakAt ?? GUEST_DAYBREAK_ROOT;
  const denoInTree = options.withDaybreak === true && daybreakAt !== GUEST_DAYBREAK_ROOT;
  if (options.withDeno === true || (options.withDaybreak === true && !denoInTree)) {
    await addDeno(tree);
  }
  if (options.withAppArmor === true) await addAppArmor(tree);
  if (options.withDaybreak === true) await addDaybreak(tree, daybreakAt);
  const cacheDir = options.cacheDir ?? (await vmCacheDir());
  // The installed artifact is read when the image is written, and removed after.
  const distWork = options.withDist === true
    ? join(cacheDir, "dist-work", crypto.randomUUID())
    : null;
  try {
    if (distWork !== null) await addDist(tree, distWork);
    await addFiles(tree, options.files ?? {});
    return await writeCached(tree, cacheDir, options);
  } finally {
    if (distWork !== null) await Deno.remove(distWork, { recursive: true }).catch(() => {});
  }
}

async function writeCached(
  tree: Tree,
  cacheDir: string,
  options: InitramfsOptions,
): Promise<string> {
  const dir = join(cacheDir, "initramfs");
  await Deno.mkdir(dir, { recursive: true });
  const gzip = options.compression !== "none";
  const image = join(dir, `${await imageKey(tree)}.cpio${gzip ? ".gz" : ""}`);
  return await withFileLock(join(dir, ".lock"), async () => {
    if ((await Deno.stat(image).catch(() => null))?.isFile) {
      const now = new Date();
      await Deno.utime(image, now, now);
    } else {
      await writeImage(tree, image, gzip);
      await pruneImages(dir, image);
    }
    return image;
  });
}
