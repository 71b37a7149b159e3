/**
 * Boot to runlevel 2 under QEMU, minus the kernel's own time, for three inits booted the same
 * way in one run: busybox init, sysvinit (Debian's `sysvinit-core`) and daybreak (`deno task
 * dist` installed at /, with its default jobs). Each guest is the harness's busybox initramfs
 * (tests/vm) booted with `rdinit=/sbin/init`; all three run Debian's own `/etc/init.d/rc`
 * (sysv-rc) for runlevels S and 2, with the same two scripts: rcS.d mounts the kernel file systems
 * and brings `lo` up (what daybreak's mountall and network jobs also do), and rc2.d's last script
 * writes a marker to `/dev/kmsg`, prints the kernel log's timestamps to the console and powers
 * off. The figure is the marker's timestamp minus that of the kernel's "Run /sbin/init as init
 * process" (both on the kernel log's clock); the rcS.d script's own marker splits it in two (the
 * init's start and early jobs, then rcS and runlevel 2). After the marker, the daybreak guest
 * times one `initctl version`, the cost of one Deno tool there, and a job notes when the daemon
 * emitted `startup` (on /proc/uptime's clock, a little apart from the kernel log's). Each boot
 * also reports QEMU's CPU time from start to power-off, kernel and all, which the host's other load
 * does not stretch as it does the guest's clock. Printed, never asserted.
 *
 * `BOOT_BENCH_ROUNDS` (default 3) rounds, the order of the three rotated each round;
 * `BOOT_BENCH_INITS=busybox,sysvinit` boots only those.
 *
 * @module
 */

import { join } from "node:path";
import { bootVm } from "../tests/vm/boot.ts";
import { buildInitramfs, type GuestFile } from "../tests/vm/initramfs.ts";
import { aptWithUpdate } from "../tests/vm/kernel.ts";
import { prepareVmHost } from "../tests/vm/scenario.ts";
import { runTool, vmCacheDir, VmSetupError, withFileLock } from "../tests/vm/_host.ts";

/** The packages the sysvinit guest is made of. */
const SYSVINIT_PACKAGES = ["sysvinit-core", "sysv-rc"];

const SCRIPT_MOUNT = `#!/bin/sh
# bench-mount: the kernel file systems and lo, where missing (rcS.d).
case "$1" in
start)
  m() { grep -q " $2 " /proc/mounts 2>/dev/null || mount -t "$1" "$1" "$2"; }
  [ -e /proc/self ] || mount -t proc proc /proc
  m sysfs /sys
  m devtmpfs /dev
  # /dev/kmsg exists from here on.
  echo "bench: rcS" > /dev/kmsg
  mkdir -p /dev/pts /dev/shm
  m devpts /dev/pts
  m tmpfs /dev/shm
  ip link set lo up
  ;;
esac
`;

const SCRIPT_MARKER = `#!/bin/sh
# bench-marker: runlevel 2 reached (rc2.d's last script).
case "$1" in
start)
  echo "bench: runlevel 2" > /dev/kmsg
  dmesg | grep -E 'Run /sbin/init as init process|bench: ' > /dev/console
  [ -r /run/bench-startup ] && echo "bench-startup: $(cat /run/bench-startup)" > /dev/console
  # After the marker, so not in the figure: what one Deno tool costs in this guest.
  if [ -x /usr/lib/daybreak/bin/initctl ]; then
    t0=$(cut -d' ' -f1 /proc/uptime)
    /usr/lib/daybreak/bin/initctl version >/dev/null 2>&1
    echo "bench-tool: initctl version $t0 $(cut -d' ' -f1 /proc/uptime)" > /dev/console
  fi
  echo "VM-DONE exit=0" > /dev/console
  /bin/busybox poweroff -f
  ;;
esac
`;

// daybreak only: when the daemon emitted startup (on /proc/uptime's clock: /dev/kmsg does not
// exist yet).
const STARTUP_JOB = `start on startup
task
exec cut -d' ' -f1 /proc/uptime > /run/bench-startup
`;

const SYSV_INITTAB = `# sysvinit: rcS, then runlevel 2 through sysv-rc.
id:2:initdefault:
si::sysinit:/etc/init.d/rcS
l2:2:wait:/etc/init.d/rc 2
`;

const BUSYBOX_INITTAB = `# busybox init has no runlevels: rcS, then runlevel 2's scripts.
::sysinit:/etc/init.d/rc S
::wait:/etc/init.d/rc 2
`;

/** Debian's sysv-rc and sysvinit-core, unpacked once into the VM cache. */
async function sysvinitRoot(): Promise<string> {
  const dir = join(await vmCacheDir(), "sysvinit");
  const root = join(dir, "root");
  await Deno.mkdir(dir, { recursive: true });
  return await withFileLock(join(dir, ".lock"), async () => {
    if ((await Deno.stat(join(root, "sbin/init")).catch(() => null))?.isFile) return root;
    const work = await Deno.makeTempDir({ dir, prefix: ".download-" });
    try {
      await aptWithUpdate(
        `download ${SYSVINIT_PACKAGES.join(" ")}`,
        ["download", "-qq", ...SYSVINIT_PACKAGES],
        work,
      );
      const unpacked = join(work, "root");
      for await (const entry of Deno.readDir(work)) {
        if (!entry.name.endsWith(".deb")) continue;
        const out = await runTool("dpkg-deb", ["-x", join(work, entry.name), unpacked]);
        if (out.code !== 0) throw new VmSetupError(`unpack ${entry.name}`, out.stderr);
      }
      await Deno.remove(root, { recursive: true }).catch(() => {});
      await Deno.rename(unpacked, root);
      return root;
    } finally {
      await Deno.remove(work, { recursive: true }).catch(() => {});
    }
  });
}

/** The files every guest has: sysv-rc's rc, the LSB functions it sources, the two scripts. */
function commonFiles(sysv: string): Record<string, GuestFile> {
  return {
    "/lib/init/rc": { hostPath: join(sysv, "lib/init/rc") },
    "/lib/init/rcS": { hostPath: join(sysv, "lib/init/rcS") },
    "/etc/init.d/rc": { symlink: "/lib/init/rc" },
    "/etc/init.d/rcS": { symlink: "/lib/init/rcS" },
    "/lib/lsb/init-functions": { hostPath: "/lib/lsb/init-functions" },
    "/etc/init.d/bench-mount": { text: SCRIPT_MOUNT, mode: 0o755 },
    "/etc/init.d/bench-marker": { text: SCRIPT_MARKER, mode: 0o755 },
    "/etc/rcS.d/S01bench-mount": { symlink: "../init.d/bench-mount" },
    "/etc/rc2.d/S99bench-marker": { symlink: "../init.d/bench-marker" },
  };
}

/** One init under test. */
interface Guest {
  readonly name: string;
  readonly initrd: string;
  readonly timeoutMs: number;
}

async function buildGuests(sysv: string, only: readonly string[]): Promise<Guest[]> {
  const common = commonFiles(sysv);
  const all = [
    {
      name: "busybox",
      timeoutMs: 120_000,
      build: () =>
        buildInitramfs({ files: { ...common, "/etc/inittab": { text: BUSYBOX_INITTAB } } }),
    },
    {
      name: "sysvinit",
      timeoutMs: 120_000,
      build: () =>
        buildInitramfs({
          files: {
            ...common,
            "/sbin/init": { hostPath: join(sysv, "sbin/init") },
            "/etc/inittab": { text: SYSV_INITTAB },
          },
        }),
    },
    {
      name: "daybreak",
      timeoutMs: 900_000,
      build: () =>
        buildInitramfs({
          withDist: true,
          files: { ...common, "/etc/init/bench-startup.conf": { text: STARTUP_JOB } },
        }),
    },
  ];
  const guests: Guest[] = [];
  for (const g of all) {
    if (only.length > 0 && !only.includes(g.name)) continue;
    guests.push({ name: g.name, timeoutMs: g.timeoutMs, initrd: await g.build() });
  }
  return guests;
}

/** The kernel log's times, in seconds, read from the marker script's output. */
export function bootTimes(
  serial: string,
): { kernel: number; rcS: number; runlevel2: number } | null {
  const at = (what: string) => {
    const found = new RegExp(`\\[\\s*([0-9.]+)\\] ${what}`).exec(serial);
    return found === null ? null : Number(found[1]);
  };
  const kernel = at("Run /sbin/init as init process");
  const rcS = at("bench: rcS");
  const runlevel2 = at("bench: runlevel 2");
  return kernel === null || rcS === null || runlevel2 === null ? null : { kernel, rcS, runlevel2 };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const fmt = (s: number) => s.toFixed(2);

/**
 * Boots each init `BOOT_BENCH_ROUNDS` times and prints the medians.
 *
 * @param print where lines go
 */
export async function main(print: (line: string) => void): Promise<void> {
  const host = await prepareVmHost();
  if (!host.ready) {
    print(`boot: skipped (${host.reason})`);
    return;
  }
  const rounds = Number(Deno.env.get("BOOT_BENCH_ROUNDS") ?? "3");
  const only = (Deno.env.get("BOOT_BENCH_INITS") ?? "").split(",").filter((n) => n !== "");
  const guests = await buildGuests(await sysvinitRoot(), only);
  type Run = {
    cpu: number;
    init: number;
    kernel: number;
    rcS: number;
    tool: number | null;
    startup: number | null;
  };
  const runs = new Map(guests.map((g) => [g.name, [] as Run[]]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < guests.length; i++) {
      const guest = guests[(round + i) % guests.length]!;
      const boot = await bootVm({
        kernel: host.kernel,
        initrd: guest.initrd,
        timeoutMs: guest.timeoutMs,
        append: "rdinit=/sbin/init printk.time=1",
      });
      const times = bootTimes(boot.serial);
      if (times === null) {
        print(`boot: ${guest.name}: no runlevel 2 marker (QEMU exit ${boot.exitCode})`);
        print(boot.serial.split("\n").slice(-40).join("\n"));
        continue;
      }
      const init = times.runlevel2 - times.kernel;
      const rcS = times.rcS - times.kernel;
      const tool = /bench-tool: initctl version ([0-9.]+) ([0-9.]+)/.exec(boot.serial);
      const toolS = tool === null ? null : Number(tool[2]) - Number(tool[1]);
      const up = /bench-startup: ([0-9.]+)/.exec(boot.serial);
      const startup = up === null ? null : Number(up[1]) - times.kernel;
      const cpu = boot.cpuMs / 1000;
      runs.get(guest.name)!.push({ cpu, init, kernel: times.kernel, rcS, tool: toolS, startup });
      print(
        `boot: round ${round + 1} ${guest.name}: ${fmt(init)} s to runlevel 2 after the kernel ` +
          `(${startup === null ? "" : `startup event at ${fmt(startup)} s; `}` +
          `rcS at ${fmt(rcS)} s; kernel ${fmt(times.kernel)} s, QEMU wall ` +
          `${fmt(boot.wallMs / 1000)} s, QEMU CPU ${fmt(cpu)} s` +
          `${toolS === null ? "" : `; one initctl ${fmt(toolS)} s`})`,
      );
    }
  }
  const medians = new Map<string, number>();
  for (const [name, list] of runs) {
    if (list.length === 0) continue;
    const init = median(list.map((r) => r.init));
    medians.set(name, init);
    const all = list.map((r) => fmt(r.init)).join(", ");
    print(
      `boot: ${name}: median ${fmt(init)} s to runlevel 2 after the kernel (${all}; ` +
        `rcS at ${fmt(median(list.map((r) => r.rcS)))} s; ` +
        `kernel ${fmt(median(list.map((r) => r.kernel)))} s; QEMU CPU for the whole boot ` +
        `${fmt(median(list.map((r) => r.cpu)))} s)`,
    );
    const startups = list.flatMap((r) => (r.startup === null ? [] : [r.startup]));
    if (startups.length > 0) {
      print(`boot: ${name}: startup event emitted at median ${fmt(median(startups))} s`);
    }
    const tools = list.flatMap((r) => (r.tool === null ? [] : [r.tool]));
    if (tools.length > 0) {
      print(`boot: ${name}: one \`initctl version\` in the guest: median ${fmt(median(tools))} s`);
    }
  }
  const day = medians.get("daybreak"), sysv = medians.get("sysvinit");
  if (day !== undefined && sysv !== undefined) {
    print(`boot: daybreak / sysvinit = ${(day / sysv).toFixed(1)}× (target ≤ 2×)`);
  }
}
