// The machine of upstart_jobs_boot_test.ts (tests/vm/_upstart_layout.ts: daybreak from its
// sources at /opt/daybreak, Upstart's own jobs, Debian's rc), on a disk this time: the root file
// system is an ext4 image on /dev/vda, mounted read-write by a minimal initramfs that loads the
// disk's drivers and hands over with switch_root to /sbin/init, as a distribution's initramfs
// does. After the power-off the host reads the image: the file an /etc/rc0.d script wrote a
// moment before is there only if daybreak's final phase synced the disks, and the file system is
// clean only if it remounted the root read-only, which a file Deno (PID 1) holds open for writing
// in its dependency cache would refuse.
import assert from "node:assert/strict";
import { join } from "node:path";
import { runTool, VmSetupError } from "./_host.ts";
import { buildInitramfs } from "./initramfs.ts";
import { obtainKernelModules } from "./modules.ts";
import { AT, prepareUpstartLayout, PROBE_CHECKS, upstartGuestFiles } from "./_upstart_layout.ts";
import { assertVmPassed, runVmScenario } from "./scenario.ts";

const DISK_MODULES = ["virtio_pci", "virtio_blk", "ext4", "crc32c_generic"];

const layout = await prepareUpstartLayout();

async function whyNot(): Promise<string> {
  if (!layout.ready) return layout.reason;
  if ((await runTool("mkfs.ext4", ["-V"])).code === 127) return "no mkfs.ext4: install e2fsprogs";
  try {
    await obtainKernelModules(layout.kernel, DISK_MODULES);
  } catch (e) {
    if (e instanceof VmSetupError) return e.message;
    throw e;
  }
  return "";
}

const reason = await whyNot();
const skip = reason === "" ? "" : ` (skipped: ${reason})`;

/**
 * The initramfs's /init: the disk's drivers, the root mounted (`ro`, as a kernel or a
 * distribution's initramfs mounts it unless told `rw`), then the real init with no /proc, /sys or
 * /dev mounted (daybreak mounts them).
 */
const switchRoot = (mode: "rw" | "ro") =>
  `#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t devtmpfs dev /dev
for m in /lib/modules/vm/*.ko; do insmod "$m"; done
i=0
while [ ! -b /dev/vda ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
mkdir -p /newroot
mount -t ext4 -o ${mode} /dev/vda /newroot || { echo "VM-RESULT: FAIL mount-root"; poweroff -f; }
umount /dev
umount /proc
exec switch_root /newroot /sbin/init
`;

/** Builds the root file system's image: the layout's tree, through an uncompressed cpio. */
async function rootImage(dir: string, debs: string): Promise<string> {
  const cpio = await buildInitramfs({
    withDaybreak: true,
    daybreakAt: AT,
    compression: "none",
    files: upstartGuestFiles(debs),
  });
  const tree = join(dir, "tree");
  await Deno.mkdir(tree);
  const x = await runTool("sh", [
    "-c",
    'cd "$1" && cpio -idm --quiet --no-absolute-filenames < "$2"',
    "sh",
    tree,
    cpio,
  ]);
  assert.equal(x.code, 0, x.stderr);
  await Deno.remove(join(tree, "init"));
  const image = join(dir, "root.img");
  const mkfs = await runTool("mkfs.ext4", ["-q", "-F", "-L", "root", "-d", tree, image, "400M"]);
  assert.equal(mkfs.code, 0, mkfs.stderr);
  await Deno.remove(tree, { recursive: true });
  return image;
}

/** Boots the image with its root mounted `mode`; checks the probe's results and the power-off. */
async function bootFromDisk(image: string, mode: "rw" | "ro"): Promise<void> {
  const result = await runVmScenario({
    name: `upstart-jobs-disk-${mode}`,
    script: "exit 0\n", // /init switches to the disk's /sbin/init: /scenario never runs
    files: { "/init": { text: switchRoot(mode), mode: 0o755 } },
    modules: DISK_MODULES,
    drives: [image],
    append: "printk.time=1",
    timeoutMs: 900_000,
  });
  assertVmPassed(result, PROBE_CHECKS);
  assert.match(result.serial, /VM-RC0 0 2 /);
  assert.match(result.serial, /reboot: Power down/);
  assert.equal(result.exitCode, 0);
}

/** The file system is clean: unmounted or remounted read-only before the power-off. */
async function assertClean(image: string): Promise<void> {
  const state = await runTool("dumpe2fs", ["-h", image]);
  assert.match(state.stdout, /^Filesystem state:\s+clean$/m, state.stdout);
  const fsck = await runTool("e2fsck", ["-fn", image]);
  assert.equal(fsck.code, 0, fsck.stdout + fsck.stderr);
}

const cat = async (image: string, path: string) =>
  (await runTool("debugfs", ["-R", `cat ${path}`, image])).stdout;

Deno.test(
  `daybreak from its sources on an ext4 root boots Upstart's jobs, syncs and remounts it read-only${skip}`,
  { ignore: skip !== "" },
  async () => {
    if (!layout.ready) return;
    const dir = await Deno.makeTempDir({ prefix: "daybreak-upstart-disk-" });
    try {
      const image = await rootImage(dir, layout.debs);
      await bootFromDisk(image, "rw");
      assert.equal(await cat(image, "/var/vm-rc2-marker"), "2 N\n");
      // Written at runlevel 0 and never synced by hand.
      assert.equal(await cat(image, "/var/vm-rc0-marker"), "0 2\n");
      // Deno wrote its caches there, on the root, during the boot: the cache was read-write.
      const cache = await runTool("debugfs", ["-R", `ls -l ${AT}/.deno_dir`, image]);
      assert.match(cache.stdout, /_cache_v2|\bgen\b/, cache.stdout);
      await assertClean(image);
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

// Nothing in this layout remounts the root read-write (no fstab, no Debian rcS.d scripts): daybreak
// runs from its sources with a read-only dependency cache, /var/log read-only and no wtmp.
Deno.test(
  `daybreak from its sources on a read-only ext4 root boots Upstart's jobs and powers off${skip}`,
  { ignore: skip !== "" },
  async () => {
    if (!layout.ready) return;
    const dir = await Deno.makeTempDir({ prefix: "daybreak-upstart-disk-ro-" });
    try {
      const image = await rootImage(dir, layout.debs);
      await bootFromDisk(image, "ro");
      // The markers' writes to the root failed: it stayed read-only.
      assert.equal(await cat(image, "/var/vm-rc2-marker"), "");
      await assertClean(image);
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

globalThis.addEventListener("unload", () => {
  if (layout.ready) Deno.removeSync(layout.debs, { recursive: true });
});
