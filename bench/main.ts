/**
 * `deno task bench`: runs every benchmark and prints its figures. Figures are
 * printed, never asserted (see DEVELOPERS.md: performance lives in bench/).
 *
 * @module
 */

import * as boot from "./boot_bench.ts";
import * as container from "./container_bench.ts";
import * as daemon from "./daemon_bench.ts";
import * as dist from "./dist_bench.ts";
import * as engine from "./engine_bench.ts";
import * as memory from "./memory_bench.ts";
import * as parser from "./parser_bench.ts";
import * as sandbox from "./sandbox_bench.ts";

const encoder = new TextEncoder();
const print = (line: string) => Deno.stdout.writeSync(encoder.encode(`${line}\n`));

const BENCHES: Record<string, (print: (line: string) => void) => Promise<void>> = {
  parser: parser.main,
  engine: () => engine.main(),
  sandbox: sandbox.main,
  dist: dist.main,
  container: container.main,
  boot: boot.main,
  // Last: they make the bench process a child subreaper.
  daemon: daemon.main,
  memory: (print) => memory.main(print),
};

const only = Deno.args.filter((a) => !a.startsWith("-"));
for (const [name, run] of Object.entries(BENCHES)) {
  if (only.length > 0 && !only.includes(name)) continue;
  await run(print);
}
