/**
 * A `console log` job writing through a log directory that fails under it, run by the real
 * {@linkcode FdSpawner} in a process of its own inside a private mount namespace (see
 * `log_loss_test.ts`, which mounts DIR). Prints one JSON line: bytes produced, bytes in the
 * file, bytes the daemon's log said were dropped, and what it said.
 *
 * Usage: log_loss.ts full|readonly DIR GATE
 * - `full`: DIR is a small tmpfs, filled before the job starts and emptied while it runs.
 * - `readonly`: DIR is a read-only bind mount, remounted read-write while the job runs, then
 *   `notify-disk-writeable` (the spawner's flushLogs) is called.
 */

import { FdSpawner } from "../fd_spawner.ts";
import { Reaper } from "../reaper.ts";
import { spawnRequest } from "../../../tests/fakes/spawn_request.ts";

const [scenario, dir, gate] = Deno.args as [string, string, string];
const LINE_BYTES = 100;
const LINES = 2000;
const BUFFER = 64 * 1024;

const messages: string[] = [];
const spawner = new FdSpawner({
  reaper: new Reaper(),
  logBufferBytes: BUFFER,
  log: (priority, message) => messages.push(`${priority}: ${message}`),
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean): Promise<void> {
  const end = performance.now() + 10_000;
  while (!cond()) {
    if (performance.now() > end) throw new Error("timed out");
    await sleep(10);
  }
}
function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
function size(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}
async function run(cmd: string, ...args: string[]): Promise<void> {
  await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output();
}

// Lines of exactly LINE_BYTES bytes: 1000 before the gate, 1000 after.
const pad = "x".repeat(LINE_BYTES - 12);
const script = [
  "i=0",
  `while [ $i -lt ${LINES / 2} ]; do i=$((i+1)); printf 'line %05d ${pad}\\n' $i; done`,
  `touch ${gate}.half`,
  `while [ ! -e ${gate} ]; do sleep 0.02; done`,
  `while [ $i -lt ${LINES} ]; do i=$((i+1)); printf 'line %05d ${pad}\\n' $i; done`,
].join("\n");

if (scenario === "full") {
  // Fill the tmpfs to the last page.
  await run("dd", "if=/dev/zero", `of=${dir}/filler`, "bs=4096");
}

const p = spawner.spawn(spawnRequest({
  job: "logjob",
  env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
  console: "log",
  logDir: dir,
  script: true,
  command: script,
}));
await until(() => exists(`${gate}.half`));
await sleep(300); // the pipes drain
const log = `${dir}/logjob.log`;
const beforeFix = size(log);
let afterNotify = -1;
if (scenario === "full") {
  Deno.removeSync(`${dir}/filler`);
} else {
  await run("mount", "-o", "remount,bind,rw", dir);
  spawner.flushLogs();
  afterNotify = size(log);
}
Deno.writeTextFileSync(gate, "");
const status = await p.exited;

const text = Deno.readTextFileSync(log);
// A drop may cut a line: whole lines are found anywhere, not only at line starts.
const whole = [...text.matchAll(new RegExp(`line (\\d{5}) ${pad}\n`, "g"))].map((m) => m[0]);
const reported = messages
  .map((m) => /: (\d+) bytes of output dropped: /.exec(m))
  .reduce((sum, m) => sum + (m === null ? 0 : Number(m[1])), 0);
const result = {
  status,
  produced: LINES * LINE_BYTES,
  written: new TextEncoder().encode(text).length,
  reported,
  beforeFix,
  afterNotify,
  lastLine: whole.at(-1)?.slice(0, 10) ?? null,
  secondHalf: whole.filter((l) => Number(l.slice(5, 10)) > LINES / 2).length,
  messages,
};
await Deno.stdout.write(new TextEncoder().encode(`${JSON.stringify(result)}\n`));
