/**
 * Boots a kernel and initramfs under QEMU (TCG: KVM is broken on this machine,
 * docs/platform.md#qemu) and reads the guest's verdict from its serial console.
 *
 * @module
 */

import { readText } from "../../sys/libc.ts";

/** Options of {@linkcode bootVm}. */
export interface BootOptions {
  /** Path of the `vmlinuz` to boot. */
  readonly kernel: string;
  /** Path of the initramfs image. */
  readonly initrd: string;
  /** Guest memory; the initramfs is unpacked into it. @default 1024 */
  readonly memoryMb?: number;
  /** QEMU is killed after this long. @default 60000 */
  readonly timeoutMs?: number;
  /** Extra kernel command-line words, after `console=ttyS0 panic=-1 quiet`. @default "" */
  readonly append?: string;
  /** Raw disk images attached as virtio disks, `/dev/vda` first (the guest needs virtio_blk). */
  readonly drives?: readonly string[];
}

/** What a boot produced. */
export interface BootResult {
  /** Everything the guest wrote to its serial console, with `\r\n` turned into `\n`. */
  readonly serial: string;
  /** QEMU's exit code; `null` when it was killed. 0 after a guest power-off. */
  readonly exitCode: number | null;
  /** QEMU was killed because `timeoutMs` passed. */
  readonly timedOut: boolean;
  /** Wall time from starting QEMU to its exit, in milliseconds. */
  readonly wallMs: number;
  /**
   * QEMU's CPU time (user and system, sampled every 100 ms until it exits), in milliseconds: what
   * the guest's work cost, whatever else the host ran meanwhile (the guest's clock follows the
   * host's, so other load stretches every time measured inside the guest).
   */
  readonly cpuMs: number;
}

/** The QEMU program run by {@linkcode bootVm}. */
export const QEMU = "qemu-system-x86_64";

/** QEMU's command line for {@linkcode bootVm} (bench/guest_start_bench.ts runs it itself). */
export function qemuArgs(options: BootOptions): string[] {
  const append = ["console=ttyS0", "panic=-1", "quiet", options.append ?? ""].join(" ").trim();
  return [
    ["-accel", "tcg", "-m", String(options.memoryMb ?? 1024), "-smp", "1"],
    ["-nographic", "-no-reboot", "-nic", "none"],
    ["-kernel", options.kernel, "-initrd", options.initrd, "-append", append],
    (options.drives ?? []).flatMap((d) => ["-drive", `file=${d},if=virtio,format=raw`]),
  ].flat();
}

/**
 * Boots the guest and collects its serial console until QEMU exits (the guest powered off or
 * panicked; `-no-reboot` turns both into an exit) or the timeout kills it.
 *
 * @throws {Deno.errors.NotFound} when QEMU is not installed
 */
export async function bootVm(options: BootOptions): Promise<BootResult> {
  const args = qemuArgs(options);
  const started = performance.now();
  const child = new Deno.Command(QEMU, { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, options.timeoutMs ?? 60_000);
  let cpuMs = 0;
  // The largest sample: an exited QEMU, not yet reaped, reports no CPU time at all.
  const sample = () => {
    cpuMs = Math.max(cpuMs, processCpuMs(child.pid) ?? 0);
  };
  const sampler = setInterval(sample, 100);
  try {
    const out = await child.output();
    const decoder = new TextDecoder();
    const stderr = decoder.decode(out.stderr).trim();
    const serial = decoder.decode(out.stdout).replaceAll("\r\n", "\n") +
      (stderr === "" ? "" : `\n[qemu stderr] ${stderr}\n`);
    return {
      serial,
      exitCode: out.signal === null ? out.code : null,
      timedOut,
      wallMs: Math.round(performance.now() - started),
      cpuMs,
    };
  } finally {
    clearTimeout(timer);
    clearInterval(sampler);
  }
}

/** Clock ticks per second of /proc's times (USER_HZ: 100 on Linux, whatever HZ the kernel has). */
const USER_HZ = 100;

/**
 * A process's CPU time (user and system) from /proc, or `null` once it is gone (or without
 * --allow-ffi). Read through libc: Deno refuses /proc reads without --allow-all (docs/platform.md).
 */
export function processCpuMs(pid: number): number | null {
  let stat: string | null;
  try {
    stat = readText(`/proc/${pid}/stat`);
  } catch {
    return null; // no FFI permission: no figure
  }
  if (stat === null) return null;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ; // utime + stime
}

/** The scenario results found on a serial console by {@linkcode verdict}. */
export interface Verdict {
  /** Names of the checks that printed `VM-RESULT: PASS name`, in order. */
  readonly passed: string[];
  /** `"name: reason"` of each `VM-RESULT: FAIL name: reason`, in order. */
  readonly failed: string[];
  /** Whether the final `VM-DONE` line was printed (the scenario ran to its end). */
  readonly done: boolean;
  /** The scenario's exit status from `VM-DONE exit=N`, when present. */
  readonly exitStatus?: number;
}

const RESULT = /VM-RESULT: (PASS|FAIL) ([^\s:]+)(?:: ?(.*))?$/;
const DONE = /VM-DONE(?: exit=(\d+))?/;

/**
 * Reads the `VM-RESULT:` and `VM-DONE` lines from a serial console. Markers are found anywhere in
 * a line, since kernel messages can be written into the middle of a guest's output.
 */
export function verdict(serial: string): Verdict {
  const passed: string[] = [];
  const failed: string[] = [];
  let done = false;
  let exitStatus: number | undefined;
  for (const line of serial.split("\n")) {
    const result = RESULT.exec(line);
    if (result !== null) {
      if (result[1] === "PASS") passed.push(result[2]!);
      else failed.push(`${result[2]}: ${result[3] ?? "(no reason given)"}`);
      continue;
    }
    const end = DONE.exec(line);
    if (end !== null) {
      done = true;
      if (end[1] !== undefined) exitStatus = Number(end[1]);
    }
  }
  return { passed, failed, done, ...(exitStatus === undefined ? {} : { exitStatus }) };
}
