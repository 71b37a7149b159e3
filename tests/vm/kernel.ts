/**
 * Provides what a VM boot needs from the host: QEMU and the guest tools as Debian packages, and
 * the Debian kernel image, downloaded once and kept in the VM cache directory.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { runTool, vmCacheDir, VmSetupError, withFileLock } from "./_host.ts";

export { vmCacheDir, VmSetupError } from "./_host.ts";

/** Debian packages the harness uses on the host; their files are copied into the initramfs. */
export const VM_HOST_PACKAGES: readonly string[] = [
  "qemu-system-x86",
  "cpio",
  "busybox-static",
  "apparmor",
  "e2fsprogs",
];

const APT_ENV = { DEBIAN_FRONTEND: "noninteractive" };

async function isInstalled(pkg: string): Promise<boolean> {
  const out = await runTool("dpkg-query", ["-W", "-f=${Status}", pkg]);
  return out.code === 0 && out.stdout.trim() === "install ok installed";
}

/** Runs an apt command; if it fails, refreshes the package lists once and tries again. */
export async function aptWithUpdate(step: string, args: string[], cwd?: string): Promise<void> {
  const options = { env: APT_ENV, ...(cwd === undefined ? {} : { cwd }) };
  let out = await runTool("apt-get", args, options);
  if (out.code === 0) return;
  const update = await runTool("apt-get", ["update", "-qq"], { env: APT_ENV });
  if (update.code !== 0) throw new VmSetupError("apt-get update", update.stderr);
  out = await runTool("apt-get", args, options);
  if (out.code !== 0) throw new VmSetupError(step, out.stderr);
}

/**
 * Installs the packages of {@linkcode VM_HOST_PACKAGES} that are missing (none when all are
 * there, so a warm machine never touches apt).
 *
 * @returns the packages that were installed by this call
 * @throws {VmSetupError} when apt cannot install them (not root, no network…)
 */
export async function ensureVmHostPackages(): Promise<string[]> {
  const missing: string[] = [];
  for (const pkg of VM_HOST_PACKAGES) {
    if (!(await isInstalled(pkg))) missing.push(pkg);
  }
  if (missing.length === 0) return [];
  const cacheDir = await vmCacheDir();
  await withFileLock(join(cacheDir, "apt.lock"), async () => {
    const still: string[] = [];
    for (const pkg of missing) {
      if (!(await isInstalled(pkg))) still.push(pkg);
    }
    if (still.length === 0) return;
    await aptWithUpdate(`install ${still.join(" ")}`, [
      "install",
      "-y",
      "-qq",
      "--no-install-recommends",
      ...still,
    ]);
  });
  return missing;
}

/** The versioned image package `linux-image-amd64` points at, e.g. `linux-image-6.1.0-50-amd64`. */
async function kernelPackageName(): Promise<string> {
  const find = async () => {
    const out = await runTool("apt-cache", ["depends", "linux-image-amd64"]);
    return /Depends:\s*(linux-image-[0-9][^\s]*-amd64)\b/.exec(out.stdout)?.[1];
  };
  let name = await find();
  if (name === undefined) {
    const update = await runTool("apt-get", ["update", "-qq"], { env: APT_ENV });
    if (update.code !== 0) throw new VmSetupError("apt-get update", update.stderr);
    name = await find();
  }
  if (name === undefined) {
    throw new VmSetupError(
      "find the kernel package",
      "apt-cache depends linux-image-amd64 names none",
    );
  }
  return name;
}

/** The `vmlinuz` files already in the cache, oldest ABI first. */
async function cachedKernels(kernelDir: string): Promise<string[]> {
  const found: string[] = [];
  try {
    for await (const entry of Deno.readDir(kernelDir)) {
      const vmlinuz = join(kernelDir, entry.name, "vmlinuz");
      if (entry.isDirectory && (await Deno.stat(vmlinuz).catch(() => null))?.isFile) {
        found.push(vmlinuz);
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return found.sort();
}

const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

function indexOfBytes(haystack: Uint8Array, needle: readonly number[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** True when `elf` is a 64-bit ELF whose section header table (stored last) is all there. */
function isCompleteElf64(elf: Uint8Array): boolean {
  if (elf.length < 64 || indexOfBytes(elf.subarray(0, 5), [0x7f, 0x45, 0x4c, 0x46, 2]) !== 0) {
    return false;
  }
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const shoff = Number(view.getBigUint64(0x28, true));
  const end = shoff + view.getUint16(0x3a, true) * view.getUint16(0x3c, true);
  return shoff > 0 && end <= elf.length;
}

/**
 * Unpacks the ELF `vmlinux` from an xz-compressed bzImage. QEMU boots it through its PVH entry
 * (Debian sets CONFIG_PVH), which skips the in-guest xz decompression: about 3 s under TCG.
 * The kernel's xz stream has trailing bytes, so xz's exit status is ignored and the ELF checked.
 */
async function extractVmlinux(vmlinuz: string, target: string): Promise<boolean> {
  const image = await Deno.readFile(vmlinuz);
  const start = indexOfBytes(image, XZ_MAGIC);
  if (start < 0) return false;
  const xz = new Deno.Command("xz", {
    args: ["-dc"],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = xz.stdin.getWriter();
  const fed = writer.write(image.subarray(start)).then(() => writer.close()).catch(() => {});
  const out = await xz.output();
  await fed;
  if (!isCompleteElf64(out.stdout)) return false;
  const tmp = `${target}.${crypto.randomUUID()}.tmp`;
  await Deno.writeFile(tmp, out.stdout);
  await Deno.rename(tmp, target);
  return true;
}

/** Returns the PVH `vmlinux` beside `vmlinuz`, extracting it once; `vmlinuz` if that fails. */
async function fastestImage(vmlinuz: string): Promise<string> {
  const dir = dirname(vmlinuz);
  const vmlinux = join(dir, "vmlinux");
  const failed = join(dir, "vmlinux.failed");
  const exists = async (p: string) => (await Deno.stat(p).catch(() => null))?.isFile === true;
  if (await exists(vmlinux)) return vmlinux;
  if (await exists(failed)) return vmlinuz;
  return await withFileLock(join(dir, ".lock"), async () => {
    if (await exists(vmlinux)) return vmlinux;
    try {
      if (await extractVmlinux(vmlinuz, vmlinux)) return vmlinux;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e; // no xz: keep the bzImage
    }
    await Deno.writeTextFile(failed, "");
    return vmlinuz;
  });
}

/** Downloads the image package and extracts only `boot/vmlinuz-*` (the modules are not needed). */
async function downloadKernel(kernelDir: string, pkg: string): Promise<string> {
  const work = await Deno.makeTempDir({ dir: kernelDir, prefix: ".download-" });
  try {
    await aptWithUpdate(`download ${pkg}`, ["download", "-qq", pkg], work);
    let deb: string | undefined;
    for await (const entry of Deno.readDir(work)) {
      if (entry.name.endsWith(".deb")) deb = join(work, entry.name);
    }
    if (deb === undefined) throw new VmSetupError(`download ${pkg}`, "apt-get wrote no .deb");
    const extract = await runTool("sh", [
      "-c",
      `dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --wildcards './boot/vmlinuz-*'`,
      "sh",
      deb,
      work,
    ]);
    if (extract.code !== 0) throw new VmSetupError(`extract ${deb}`, extract.stderr);
    let image: string | undefined;
    for await (const entry of Deno.readDir(join(work, "boot"))) {
      if (entry.name.startsWith("vmlinuz-")) image = join(work, "boot", entry.name);
    }
    if (image === undefined) throw new VmSetupError(`extract ${deb}`, "no boot/vmlinuz-* inside");
    const target = join(kernelDir, pkg);
    await Deno.mkdir(target, { recursive: true });
    await Deno.rename(image, join(target, "vmlinuz"));
    return join(target, "vmlinuz");
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

/**
 * Returns the path of a bootable Debian guest kernel. `$DAYBREAK_VM_KERNEL` wins; otherwise a
 * kernel already in the cache is reused (whatever its ABI); otherwise the package that
 * `linux-image-amd64` depends on is downloaded with `apt-get download` (about 70 MB, once).
 * The path is that of the uncompressed PVH `vmlinux` unpacked from `vmlinuz` (it boots about
 * 3 s sooner under TCG), or of `vmlinuz` itself if it could not be unpacked.
 *
 * @throws {VmSetupError} when no kernel is cached and apt cannot download one
 */
export async function obtainKernel(options: { cacheDir?: string } = {}): Promise<string> {
  const explicit = Deno.env.get("DAYBREAK_VM_KERNEL");
  if (explicit !== undefined) return explicit;
  const kernelDir = join(options.cacheDir ?? (await vmCacheDir()), "kernel");
  await Deno.mkdir(kernelDir, { recursive: true });
  const cached = await cachedKernels(kernelDir);
  const vmlinuz = cached.length > 0
    ? cached[cached.length - 1]!
    : await withFileLock(join(kernelDir, ".lock"), async () => {
      const raced = await cachedKernels(kernelDir);
      if (raced.length > 0) return raced[raced.length - 1]!;
      return await downloadKernel(kernelDir, await kernelPackageName());
    });
  return await fastestImage(vmlinuz);
}
