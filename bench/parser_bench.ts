/**
 * Parser benchmark: parses 1,000 job files (the shared corpus, repeated, plus
 * generated jobs) and prints files per second. Target: ≥ 20,000 files/s.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseJobConfig } from "../parser/parse_job.ts";

const CORPUS = fileURLToPath(new URL("../../shared/corpus/", import.meta.url));

async function corpusTexts(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      const path = join(dir, e.name);
      if (e.isDirectory) out.push(...await corpusTexts(path));
      else if (e.isFile && e.name.endsWith(".conf")) out.push(await Deno.readTextFile(path));
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out;
}

function generatedJob(i: number): string {
  return [
    `# generated job ${i}`,
    `description "service number ${i}"`,
    `start on (filesystem and net-device-up IFACE!=lo) or started dep-${i % 17}`,
    "stop on runlevel [!2345]",
    "respawn",
    "respawn limit 10 5",
    `env PORT=${8000 + i}`,
    "limit nofile 4096 8192",
    "pre-start script",
    "    mkdir -p /run/svc",
    "    [ -d /var/lib/svc ] || exit 0",
    "end script",
    `exec /usr/bin/svc --port $PORT --name "svc ${i}"`,
    "",
  ].join("\n");
}

/** Parses 1,000 files `rounds` times and returns files per second of the best round. */
export async function benchParser(rounds = 5): Promise<{ files: number; filesPerSecond: number }> {
  const corpus = await corpusTexts(CORPUS);
  const texts: string[] = [];
  for (let i = 0; texts.length < 1000; i++) {
    texts.push(corpus.length > 0 && i % 2 === 0 ? corpus[i % corpus.length]! : generatedJob(i));
  }
  let best = Infinity;
  for (let r = 0; r < rounds + 1; r++) {
    const t0 = performance.now();
    for (const [i, text] of texts.entries()) parseJobConfig(text, { name: `job${i}` });
    const ms = performance.now() - t0;
    if (r > 0) best = Math.min(best, ms); // round 0 warms the JIT up
  }
  return { files: texts.length, filesPerSecond: Math.round(texts.length / (best / 1000)) };
}

/** Prints the parser figures. */
export async function main(print: (line: string) => void): Promise<void> {
  const { files, filesPerSecond } = await benchParser();
  print(`parser: ${files} job files, ${filesPerSecond} files/s (target >= 20000)`);
}
