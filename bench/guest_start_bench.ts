/**
 * Deno's start-up inside a QEMU/TCG guest (the boot benchmark's machine, tests/vm/boot.ts), for
 * A/B comparisons of deno and V8 flags in one boot. The guest has the artifact of `deno task dist`
 * installed at / (as in bench/boot_bench.ts); a scenario script runs each variant's commands in
 * turn, round after round (so drift in the host's load spreads over every variant), timing each
 * on the guest's clock (/proc/uptime). Commands:
 *
 * - `empty`: `deno run` of an empty script;
 * - `initctl`: the initctl bundle's `version` (no daemon: it loads, fails to connect, exits);
 * - `daemon`: a user-mode daemon from its bundle, to its first job (a `start on startup` task
 *   that notes the time and kills the daemon).
 *
 * A variant is extra deno arguments and environment. `GUEST_START_ROUNDS` (default 3),
 * `GUEST_START_VARIANTS=base,jitless` picks variants by name, `GUEST_START_COMMANDS=empty,initctl`
 * picks commands. Printed, never asserted.
 *
 * @module
 */

import { processCpuMs, QEMU, qemuArgs } from "../tests/vm/boot.ts";
import { buildInitramfs } from "../tests/vm/initramfs.ts";
import { prepareVmHost } from "../tests/vm/scenario.ts";

/** A set of deno arguments and environment measured against the others. */
export interface Variant {
  readonly name: string;
  /** Deno `run` flags, before the permission flags. */
  readonly flags?: string;
  /** V8 flags, comma-separated, appended to the launcher's own. */
  readonly v8?: string;
  /** `NAME=value` words put before the command. */
  readonly env?: string;
}

/** The variants measured unless `GUEST_START_VARIANTS` picks some. */
export const VARIANTS: readonly Variant[] = [
  { name: "base" },
  { name: "jitless", v8: "--jitless" },
  { name: "no-opt", v8: "--no-opt,--no-maglev" },
  { name: "no-sparkplug", v8: "--no-sparkplug" },
  { name: "single-threaded", v8: "--single-threaded" },
  { name: "single-threaded-gc", v8: "--single-threaded-gc" },
  { name: "max-lazy", v8: "--max-lazy" },
  { name: "no-code-cache", flags: "--no-code-cache" },
  { name: "ro-deno-dir", env: "DENO_DIR=/tmp/ro_deno_dir" },
  // The cache `deno task install` filled (tools/install_code_cache.ts), read-only as at boot.
  { name: "installed-cache", env: "DENO_DIR=/tmp/installed_deno_dir" },
  // Every function compiled with the module, so that a (warm) code cache holds them all.
  { name: "no-lazy", v8: "--no-lazy", env: "DENO_DIR=/tmp/no_lazy_deno_dir" },
  // Without address-space randomisation every run maps deno at the same addresses.
  { name: "no-aslr", env: "setarch x86_64 -R" },
];

const COMMANDS = ["empty", "initctl", "daemon"] as const;

// The launcher's fixed part (bin/_launch.sh run_entry for a bundle).
const SCRIPT_HEAD = String.raw`
L=/usr/lib/daybreak
export DENO_DISABLE_NODE_SHIM=1 RUST_BACKTRACE=0 DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
export DENO_DIR=$L/.deno_dir
mkdir -p /tmp/ro_deno_dir /tmp/jobs
mount -o bind,ro /tmp/ro_deno_dir /tmp/ro_deno_dir
mkdir -p /tmp/installed_deno_dir
[ -d $L/.deno_dir ] && mount -o bind,ro $L/.deno_dir /tmp/installed_deno_dir
: > /tmp/empty.js
up() { cut -d' ' -f1 /proc/uptime; }
run_empty() { # VARIANT-ENV FLAGS V8
  env $1 $L/deno run --quiet --cached-only --no-prompt --no-config --no-lock $2 \
    --v8-flags=--max-semi-space-size=1,--expose-gc$3 /tmp/empty.js
}
run_initctl() {
  env $1 $L/deno run --quiet --cached-only --no-prompt --no-config --no-lock $2 \
    --v8-flags=--max-semi-space-size=1,--expose-gc$3 --allow-read --allow-write --allow-net \
    --allow-env --allow-sys=uid $L/lib/cli/initctl.js version
}
run_daemon() {
  rm -f /tmp/first-job /tmp/daemon.sock
  env $1 $L/deno run --quiet --cached-only --no-prompt --no-config --no-lock $2 \
    --v8-flags=--max-semi-space-size=1,--expose-gc$3 --allow-read --allow-write --allow-net \
    --allow-run --allow-env --allow-ffi --allow-sys $L/lib/daemon/main.js --user \
    --confdir /tmp/jobs --socket /tmp/daemon.sock --logdir /tmp/log &
  echo $! > /tmp/daemon.pid
  wait $!
}
cat > /tmp/jobs/first.conf <<'EOF'
start on startup
task
exec sh -c 'kill -9 $(cat /tmp/daemon.pid)'
EOF
t() { # NAME CMD ENV FLAGS V8
  t0=$(up)
  echo "GS-A $1 $2"
  run_$2 "$3" "$4" "$5" >/dev/null 2>&1
  t1=$(up)
  echo "GS-B $1 $2 $t0 $t1"
}
`;

/** The guest script: each round runs every variant's commands once. */
export function guestScript(
  variants: readonly Variant[],
  commands: readonly string[],
  rounds: number,
): string {
  const lines = [SCRIPT_HEAD];
  // One unmeasured run first: the first deno start also pays for the page cache.
  lines.push(`run_empty "" "" "" >/dev/null 2>&1`);
  lines.push(`for r in $(seq ${rounds}); do`);
  for (const cmd of commands) {
    for (const v of variants) {
      const v8 = v.v8 === undefined ? "" : `,${v.v8}`;
      lines.push(`  t ${v.name} ${cmd} "${v.env ?? ""}" "${v.flags ?? ""}" "${v8}"`);
    }
  }
  lines.push("done");
  return lines.join("\n") + "\n";
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Boots one guest and prints each variant's medians.
 *
 * @param print where lines go
 */
export async function main(print: (line: string) => void): Promise<void> {
  const host = await prepareVmHost();
  if (!host.ready) {
    print(`guest-start: skipped (${host.reason})`);
    return;
  }
  const rounds = Number(Deno.env.get("GUEST_START_ROUNDS") ?? "3");
  const pick = (Deno.env.get("GUEST_START_VARIANTS") ?? "").split(",").filter((n) => n !== "");
  const variants = pick.length === 0 ? VARIANTS : VARIANTS.filter((v) => pick.includes(v.name));
  const cmds = (Deno.env.get("GUEST_START_COMMANDS") ?? "").split(",").filter((n) => n !== "");
  const commands = cmds.length === 0 ? COMMANDS : COMMANDS.filter((c) => cmds.includes(c));
  const initrd = await buildInitramfs({
    withDist: true,
    files: {
      "/usr/bin/setarch": { hostPath: "/usr/bin/setarch" },
      "/scenario": {
        text: `#!/bin/sh\n${guestScript(variants, commands, rounds)}`,
        mode: 0o755,
      },
    },
  });
  // The guest's clock runs at the host's wall time, which other work on the host stretches; QEMU's
  // own CPU time (read when each marker line arrives) is what the guest's work cost.
  const child = new Deno.Command(QEMU, {
    // GUEST_START_QEMU: extra QEMU arguments, GUEST_START_ACCEL: `-accel`'s value (say,
    // `tcg,tb-size=1024`), GUEST_START_APPEND: kernel command-line words (say, `norandmaps`), for
    // experiments on the emulated machine itself.
    args: [
      ...qemuArgs({ kernel: host.kernel, initrd, append: Deno.env.get("GUEST_START_APPEND") ?? "" })
        .map((a) => a === "tcg" ? Deno.env.get("GUEST_START_ACCEL") ?? a : a),
      ...(Deno.env.get("GUEST_START_QEMU") ?? "").split(" ").filter((a) => a !== ""),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const started = performance.now();
  const timer = setTimeout(() => child.kill("SIGKILL"), 3_600_000);
  const cpu = () => (processCpuMs(child.pid) ?? 0) / 1000;
  const wall = new Map<string, number[]>(), used = new Map<string, number[]>();
  const push = (map: Map<string, number[]>, key: string, value: number) => {
    map.set(key, [...(map.get(key) ?? []), value]);
  };
  let cpuAtStart = 0, tail = "", serial = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    const text = tail + decoder.decode(chunk, { stream: true });
    const lines = text.split("\n");
    tail = lines.pop()!;
    for (const line of lines) {
      serial += line + "\n";
      if (/GS-A \S+ \S+/.test(line)) cpuAtStart = cpu();
      const end = /GS-B (\S+) (\S+) ([0-9.]+) ([0-9.]+)/.exec(line);
      if (end !== null) {
        const key = `${end[2]} ${end[1]}`;
        push(wall, key, Number(end[4]) - Number(end[3]));
        push(used, key, cpu() - cpuAtStart);
      }
    }
  }
  await child.status;
  clearTimeout(timer);
  if (wall.size === 0) print(serial.split("\n").slice(-40).join("\n"));
  for (const [key, list] of wall) {
    const fmt = (l: readonly number[]) => l.map((s) => s.toFixed(2)).join(", ");
    const cpuList = used.get(key)!;
    print(
      `guest-start: ${key}: QEMU CPU median ${median(cpuList).toFixed(2)} s (${fmt(cpuList)}); ` +
        `guest clock median ${median(list).toFixed(2)} s (${fmt(list)})`,
    );
  }
  const boot = { wallMs: performance.now() - started };
  print(`guest-start: QEMU wall ${(boot.wallMs / 1000).toFixed(1)} s`);
}

if (import.meta.main) {
  const encoder = new TextEncoder();
  await main((line) => Deno.stdout.writeSync(encoder.encode(`${line}\n`)));
}
