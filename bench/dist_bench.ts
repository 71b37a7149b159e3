/**
 * Start-up of the `deno task dist` artifact against the checkout's TypeScript sources: the wall
 * time of `initctl version` (one round trip to a user daemon) and `init-checkconf FILE` (no
 * daemon), each run from `/` with a bare environment, median of N runs after one warm-up.
 * `dist` is built into a temporary directory first. Figures are printed, never asserted.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildDist } from "../tools/dist.ts";
import { runClean, startUserDaemon } from "../tests/dist/_dist.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const RUNS = 15;

async function timed(program: string, args: string[]): Promise<number> {
  const t0 = performance.now();
  const out = await runClean(program, args);
  const ms = performance.now() - t0;
  if (out.code !== 0) throw new Error(`${program} ${args.join(" ")}: ${out.stderr}`);
  return ms;
}

function median(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Prints one line per form. The two forms run alternately, so a busy machine slows both alike.
 *
 * @param print where lines go
 */
export async function main(print: (line: string) => void): Promise<void> {
  const tmp = await Deno.makeTempDir({ prefix: "daybreak-dist-bench-" });
  try {
    const dist = (await buildDist({ out: join(tmp, "dist"), warn: () => {} })).out;
    const conf = join(ROOT, "etc", "init", "tty1.conf");
    const forms = [
      { name: "sources", bin: join(ROOT, "bin"), version: [] as number[], check: [] as number[] },
      { name: "dist", bin: join(dist, "bin"), version: [] as number[], check: [] as number[] },
    ];
    await using source = await startUserDaemon(forms[0]!.bin);
    await using built = await startUserDaemon(forms[1]!.bin);
    const sockets = [source.socket, built.socket];
    for (let i = 0; i <= RUNS; i++) {
      for (const [n, form] of forms.entries()) {
        const version = await timed(join(form.bin, "initctl"), [
          "--socket",
          sockets[n]!,
          "version",
        ]);
        const check = await timed(join(form.bin, "init-checkconf"), [conf]);
        if (i === 0) continue; // the first run warms the page cache
        form.version.push(version);
        form.check.push(check);
      }
    }
    for (const form of forms) {
      print(
        `dist: ${form.name.padEnd(7)} initctl version ${median(form.version).toFixed(1)} ms, ` +
          `init-checkconf ${median(form.check).toFixed(1)} ms (median of ${RUNS})`,
      );
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

if (import.meta.main) {
  await main((line) => Deno.stdout.writeSync(new TextEncoder().encode(`${line}\n`)));
}
