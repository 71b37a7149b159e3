/**
 * Runs a guest scenario end to end: host packages and kernel, initramfs, boot, verdict. Later
 * tests (PID 1, the daemon as /sbin/init) add scenarios as small shell or deno scripts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { bootVm, verdict } from "./boot.ts";
import { buildInitramfs, type GuestFile } from "./initramfs.ts";
import { ensureVmHostPackages, obtainKernel, VmSetupError } from "./kernel.ts";
import { obtainKernelModules } from "./modules.ts";

/** Whether VM tests can run here: the kernel path, or why they are skipped. */
export type VmHost =
  | { readonly ready: true; readonly kernel: string }
  | { readonly ready: false; readonly reason: string };

let host: Promise<VmHost> | undefined;

/**
 * Prepares the host once per process: installs missing packages and fetches the kernel. Never
 * throws: a failure becomes `{ready: false, reason}` so a test can be ignored with that reason.
 * `DAYBREAK_VM_TESTS=0` always skips, without touching apt.
 */
export function prepareVmHost(): Promise<VmHost> {
  host ??= (async (): Promise<VmHost> => {
    if (Deno.env.get("DAYBREAK_VM_TESTS") === "0") {
      return { ready: false, reason: "DAYBREAK_VM_TESTS=0" };
    }
    try {
      await ensureVmHostPackages();
      return { ready: true, kernel: await obtainKernel() };
    } catch (e) {
      if (e instanceof VmSetupError) return { ready: false, reason: e.message };
      throw e;
    }
  })();
  return host;
}

/** Options of {@linkcode runVmScenario}. */
export interface VmScenario {
  /** Names the scenario in messages. */
  readonly name: string;
  /** The busybox `sh` script run as `/scenario` (a child of PID 1); `. /vmlib.sh` for helpers. */
  readonly script: string;
  /** Extra guest files; they may replace anything, `/init` included. */
  readonly files?: Readonly<Record<string, GuestFile>>;
  /** @default false */
  readonly withDeno?: boolean;
  /** @default false */
  readonly withAppArmor?: boolean;
  /** @default false */
  readonly withDaybreak?: boolean;
  /** Where `withDaybreak` puts the tree (see `InitramfsOptions.daybreakAt`). */
  readonly daybreakAt?: string;
  /** Install `deno task dist` at `/` (see `InitramfsOptions.withDist`). */
  readonly withDist?: boolean;
  /** See `InitramfsOptions.compression`. @default "gzip" */
  readonly compression?: "gzip" | "none";
  /** @default 1024 */
  readonly memoryMb?: number;
  /** @default 60000 */
  readonly timeoutMs?: number;
  /** Extra kernel command-line words. @default "" */
  readonly append?: string;
  /** Raw disk images attached as virtio disks (`/dev/vda`…); see `BootOptions.drives`. */
  readonly drives?: readonly string[];
  /**
   * Kernel modules (and those they depend on) put in `/lib/modules/vm/NN-NAME.ko`, numbered in
   * load order: `for m in /lib/modules/vm/*.ko; do insmod "$m"; done` loads them.
   */
  readonly modules?: readonly string[];
}

/** The outcome of {@linkcode runVmScenario}. */
export interface VmScenarioResult {
  /** Names of passed checks. */
  readonly passed: string[];
  /** `"name: reason"` of failed checks, plus a `vm:` entry if the guest never printed VM-DONE. */
  readonly failed: string[];
  /** The whole serial console. */
  readonly serial: string;
  /** Milliseconds spent building or finding the initramfs. */
  readonly buildMs: number;
  /** Milliseconds QEMU ran. */
  readonly bootMs: number;
  /** QEMU's exit code (0 after a guest power-off), `null` when it was killed. */
  readonly exitCode: number | null;
}

/**
 * Builds the guest for a scenario, boots it and collects its verdict.
 *
 * @throws {VmSetupError} when the host cannot run VMs (check {@linkcode prepareVmHost} first)
 */
export async function runVmScenario(scenario: VmScenario): Promise<VmScenarioResult> {
  const ready = await prepareVmHost();
  if (!ready.ready) throw new VmSetupError(`run VM scenario ${scenario.name}`, ready.reason);
  const script = scenario.script.startsWith("#!")
    ? scenario.script
    : `#!/bin/sh\n${scenario.script}`;
  const buildStart = performance.now();
  const modules = scenario.modules === undefined || scenario.modules.length === 0
    ? []
    : await obtainKernelModules(ready.kernel, scenario.modules);
  const moduleFiles = Object.fromEntries(
    modules.map((m, i) => [
      `/lib/modules/vm/${String(i).padStart(2, "0")}-${m.name}.ko`,
      { hostPath: m.path },
    ]),
  );
  const initrd = await buildInitramfs({
    withDeno: scenario.withDeno ?? false,
    withAppArmor: scenario.withAppArmor ?? false,
    withDaybreak: scenario.withDaybreak ?? false,
    ...(scenario.daybreakAt === undefined ? {} : { daybreakAt: scenario.daybreakAt }),
    withDist: scenario.withDist ?? false,
    compression: scenario.compression ?? "gzip",
    files: { "/scenario": { text: script, mode: 0o755 }, ...moduleFiles, ...scenario.files },
  });
  const buildMs = Math.round(performance.now() - buildStart);
  const boot = await bootVm({
    kernel: ready.kernel,
    initrd,
    ...(scenario.memoryMb === undefined ? {} : { memoryMb: scenario.memoryMb }),
    ...(scenario.timeoutMs === undefined ? {} : { timeoutMs: scenario.timeoutMs }),
    ...(scenario.append === undefined ? {} : { append: scenario.append }),
    ...(scenario.drives === undefined ? {} : { drives: scenario.drives }),
  });
  const found = verdict(boot.serial);
  const failed = [...found.failed];
  if (!found.done) {
    failed.push(
      boot.timedOut
        ? `vm: no VM-DONE before the ${scenario.timeoutMs ?? 60_000} ms timeout`
        : `vm: no VM-DONE (QEMU exited with ${boot.exitCode})`,
    );
  }
  return {
    passed: found.passed,
    failed,
    serial: boot.serial,
    buildMs,
    bootMs: boot.wallMs,
    exitCode: boot.exitCode,
  };
}

/**
 * Asserts that a scenario passed: nothing failed, and every name in `expected` passed (so a
 * scenario that printed nothing cannot pass). The message carries the serial console.
 */
export function assertVmPassed(result: VmScenarioResult, expected: readonly string[]): void {
  const missing = expected.filter((name) => !result.passed.includes(name));
  assert.ok(
    result.failed.length === 0 && missing.length === 0,
    [
      `failed: ${JSON.stringify(result.failed)}`,
      `never passed: ${JSON.stringify(missing)}`,
      "--- serial console ---",
      result.serial,
    ].join("\n"),
  );
}
