/**
 * Container mode beside tini and dumb-init, in one run: the time from SIGTERM sent to init until
 * init has exited (its main process, `sleep`, dies of the signal at once), and init's memory
 * (RSS and PSS) while it supervises that one process. Each init runs plainly and as PID 1 of a
 * PID namespace (`unshare --pid --fork --mount-proc`). Prints medians and p90 of the samples.
 *
 *     deno task bench container
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { readText } from "../sys/libc.ts";
import { median } from "./peers/stats.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url)).replace(/\/$/, "");
const SAMPLES = 10;

/** The inits compared: argv before the main process's command. */
const INITS: readonly [string, readonly string[]][] = [
  ["daybreak", [`${ROOT}/bin/init`, "--container", "--"]],
  ["tini", ["tini", "-s", "--"]],
  ["dumb-init", ["dumb-init", "--"]],
];

const children = (pid: number): number[] =>
  (readText(`/proc/${pid}/task/${pid}/children`) ?? "").split(" ").filter((w) => w !== "").map(
    Number,
  );

const kib = (pid: number, file: string, field: string): number | null => {
  const m = new RegExp(`^${field}:\\s*(\\d+) kB`, "m").exec(readText(`/proc/${pid}/${file}`) ?? "");
  return m === null ? null : Number(m[1]);
};

async function until<T>(fn: () => T | null, ms: number): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== null) return v;
    if (performance.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 2));
  }
}

interface Sample {
  readonly exitMs: number;
  readonly rssKiB: number;
  readonly pssKiB: number;
}

async function sample(argv: readonly string[], pidns: boolean): Promise<Sample> {
  const full = [
    ...(pidns ? ["unshare", "--pid", "--fork", "--mount-proc"] : []),
    ...argv,
    "sleep",
    "1000",
  ];
  const child = new Deno.Command(full[0]!, {
    args: full.slice(1),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const init = pidns ? await until(() => children(child.pid)[0] ?? null, 10_000) : child.pid;
    // Ready: the main process runs `sleep`.
    await until(
      () =>
        children(init).some((p) => (readText(`/proc/${p}/comm`) ?? "").trim() === "sleep")
          ? true
          : null,
      10_000,
    );
    await new Promise((r) => setTimeout(r, 200));
    const rssKiB = kib(init, "status", "VmRSS") ?? NaN;
    const pssKiB = kib(init, "smaps_rollup", "Pss") ?? NaN;
    const t0 = performance.now();
    Deno.kill(init, "SIGTERM");
    if (pidns) {
      await until(() => (readText(`/proc/${init}/stat`) === null ? true : null), 10_000);
    } else {
      await child.status;
    }
    const exitMs = performance.now() - t0;
    return { exitMs, rssKiB, pssKiB };
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
  }
}

const p90 = (v: readonly number[]) => [...v].sort((a, b) => a - b)[Math.ceil(v.length * 0.9) - 1]!;

/** Runs the container benchmark and prints one line per init and setup. */
export async function main(print: (line: string) => void): Promise<void> {
  for (const pidns of [false, true]) {
    for (const [name, argv] of INITS) {
      const samples: Sample[] = [];
      try {
        for (let i = 0; i < SAMPLES; i++) samples.push(await sample(argv, pidns));
      } catch (e) {
        print(`container ${name}: failed: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      const exit = samples.map((s) => s.exitMs);
      const setup = pidns ? "pid namespace" : "plain";
      print(
        `container ${name} (${setup}): SIGTERM → exit ${median(exit).toFixed(2)} ms ` +
          `(p90 ${p90(exit).toFixed(2)}), RSS ${
            (median(samples.map((s) => s.rssKiB)) / 1024)
              .toFixed(1)
          } MiB, PSS ${(median(samples.map((s) => s.pssKiB)) / 1024).toFixed(1)} MiB`,
      );
    }
  }
}

if (import.meta.main) {
  await main((line) => Deno.stdout.writeSync(new TextEncoder().encode(`${line}\n`)));
}
