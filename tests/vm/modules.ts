/**
 * Kernel modules for a guest: Debian builds the drivers a disk needs (virtio_blk, ext4…) as
 * modules, and the harness keeps only the kernel image. The modules asked for, and those they
 * depend on (the `depends=` of each module's `.modinfo`), are extracted once from the kernel's own
 * package into the cache, beside the image, and returned in an order `insmod` can load them.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { aptWithUpdate } from "./kernel.ts";
import { runTool, VmSetupError, withFileLock } from "./_host.ts";

/** One module file, ready for the guest. */
export interface KernelModule {
  /** The module's name, as `lsmod` shows it (`virtio_blk`). */
  readonly name: string;
  /** Its `.ko` file on the host. */
  readonly path: string;
}

/** The names a module depends on, from the `depends=` string of its `.modinfo` section. */
export function moduleDepends(ko: Uint8Array): string[] {
  const text = new TextDecoder("latin1").decode(ko);
  const found = /\0depends=([^\0]*)\0/.exec(text);
  if (found === null) return [];
  return found[1]!.split(",").filter((n) => n !== "");
}

/** Orders modules so that each comes after those it depends on. */
export function loadOrder(deps: ReadonlyMap<string, readonly string[]>): string[] {
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, path: readonly string[]) => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      throw new VmSetupError("order kernel modules", `cycle: ${[...path, name].join(" → ")}`);
    }
    state.set(name, "visiting");
    for (const dep of deps.get(name) ?? []) visit(dep, [...path, name]);
    state.set(name, "done");
    order.push(name);
  };
  for (const name of [...deps.keys()].sort()) visit(name, []);
  return order;
}

// A module's file may spell its underscores as dashes (crc32c-intel.ko is crc32c_intel).
const fileName = (name: string) => `${name}.ko`;
const altFileName = (name: string) => `${name.replaceAll("_", "-")}.ko`;

async function findCached(dir: string, name: string): Promise<string | null> {
  for (const candidate of [fileName(name), altFileName(name)]) {
    const path = join(dir, candidate);
    if ((await Deno.stat(path).catch(() => null))?.isFile) return path;
  }
  return null;
}

/** Extracts the named modules' files from the package into `dir`, flat. */
async function extract(deb: string, dir: string, names: readonly string[]): Promise<void> {
  const work = await Deno.makeTempDir({ dir, prefix: ".extract-" });
  try {
    // GNU tar's wildcards match "/" too: one pattern finds the module at any depth.
    const patterns = names.flatMap((n) => {
      const forms = new Set([fileName(n), altFileName(n)]);
      return [...forms].map((f) => `./lib/modules/*/${f}`);
    });
    // tar fails for the patterns it found nothing for; the caller checks what arrived.
    await runTool("sh", [
      "-c",
      'deb=$1 dir=$2; shift 2; dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir" --wildcards "$@"',
      "sh",
      deb,
      work,
      ...patterns,
    ]);
    const walk = async (d: string): Promise<void> => {
      for await (const entry of Deno.readDir(d)) {
        const path = join(d, entry.name);
        if (entry.isDirectory) await walk(path);
        else if (entry.isFile && entry.name.endsWith(".ko")) {
          await Deno.rename(path, join(dir, entry.name));
        }
      }
    };
    await walk(work);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

/**
 * Returns the modules `names` and everything they depend on, in load order, for the cached
 * kernel `kernel` (a path that `obtainKernel()` returned: its directory is named after the
 * kernel's package). The package is downloaded again only when a module is not cached yet.
 *
 * @throws {VmSetupError} when the kernel is not one of the cache's, or a module is not in its package
 */
export async function obtainKernelModules(
  kernel: string,
  names: readonly string[],
): Promise<KernelModule[]> {
  const pkg = basename(dirname(kernel));
  if (!pkg.startsWith("linux-image-")) {
    throw new VmSetupError(
      `find the modules of ${kernel}`,
      "only a kernel from the VM cache has its package's modules",
    );
  }
  const dir = join(dirname(kernel), "modules");
  await Deno.mkdir(dir, { recursive: true });
  return await withFileLock(join(dir, ".lock"), async () => {
    const deps = new Map<string, string[]>();
    const paths = new Map<string, string>();
    let deb: string | null = null;
    const work = await Deno.makeTempDir({ dir, prefix: ".download-" });
    try {
      let wanted = [...new Set(names)];
      while (wanted.length > 0) {
        const missing: string[] = [];
        for (const name of wanted) if ((await findCached(dir, name)) === null) missing.push(name);
        if (missing.length > 0) {
          if (deb === null) {
            await aptWithUpdate(`download ${pkg}`, ["download", "-qq", pkg], work);
            for await (const entry of Deno.readDir(work)) {
              if (entry.name.endsWith(".deb")) deb = join(work, entry.name);
            }
            if (deb === null) throw new VmSetupError(`download ${pkg}`, "apt-get wrote no .deb");
          }
          await extract(deb, dir, missing);
        }
        const next: string[] = [];
        for (const name of wanted) {
          const path = await findCached(dir, name);
          if (path === null) {
            throw new VmSetupError(`extract module ${name}`, `${pkg} has no ${fileName(name)}`);
          }
          paths.set(name, path);
          const own = moduleDepends(await Deno.readFile(path));
          deps.set(name, own);
          for (const dep of own) if (!deps.has(dep) && !next.includes(dep)) next.push(dep);
        }
        wanted = next.filter((n) => !deps.has(n));
      }
    } finally {
      await Deno.remove(work, { recursive: true });
    }
    return loadOrder(deps).map((name) => ({ name, path: paths.get(name)! }));
  });
}
