/**
 * A description of the machine and software a benchmark ran on, for the top
 * of `docs/benchmarks.md`.
 *
 * @module
 */

import { readText } from "./_libc.ts";

/** `PRETTY_NAME` from an os-release text, or `null`. */
export function parseOsRelease(text: string): string | null {
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
  return m === null ? null : m[1]!;
}

/** The first `model name` of a `/proc/cpuinfo` text, or `null`. */
export function parseCpuModel(cpuinfo: string): string | null {
  const m = /^model name\s*:\s*(.+)$/m.exec(cpuinfo);
  return m === null ? null : m[1]!.trim();
}

/** Label → value lines: OS, kernel, CPU, memory, load, Deno and each manager's version. */
export async function describeMachine(
  software: readonly { readonly name: string; readonly version: string | null }[],
): Promise<[string, string][]> {
  let os = "unknown";
  try {
    os = parseOsRelease(await Deno.readTextFile("/etc/os-release")) ?? os;
  } catch {
    // Not every system has /etc/os-release.
  }
  const cpu = parseCpuModel(readText("/proc/cpuinfo") ?? "") ?? "unknown";
  const memGiB = Deno.systemMemoryInfo().total / 1024 ** 3;
  const load = (readText("/proc/loadavg") ?? "").split(" ").slice(0, 3).join(" ") || "unknown";
  const sw = software.map((s) => `${s.name} ${s.version ?? "(version unknown)"}`).join(", ");
  return [
    ["OS", os],
    ["Kernel", `${Deno.build.os} ${Deno.osRelease()} ${Deno.build.arch}`],
    ["CPU", `${cpu}, ${navigator.hardwareConcurrency} logical CPUs`],
    ["Memory", `${memGiB.toFixed(1)} GiB`],
    ["Load average at start (1, 5, 15 min)", load],
    ["Deno (runs the bench and daybreak)", Deno.version.deno],
    ["Managers", sw],
  ];
}
