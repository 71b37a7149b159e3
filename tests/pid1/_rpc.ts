/**
 * Sends raw lines to the system daemon's socket and prints what comes back, one reply per line:
 * how the PID-1 tests send requests no CLI makes (`daemon.shutdown`, malformed input).
 *
 * Usage: deno run -A _rpc.ts [--no-wait] LINE...   (`@big:N` sends a line of N bytes)
 *
 * @module
 */

const SOCKET = "/run/daybreak/initctl.sock";
const args = [...Deno.args];
const wait = args[0] !== "--no-wait";
if (!wait) args.shift();
const conn = await Deno.connect({ transport: "unix", path: SOCKET });
const encoder = new TextEncoder();
const decoder = new TextDecoder();
let text = "";
const buf = new Uint8Array(65536);
for (const arg of args) {
  const big = /^@big:(\d+)$/.exec(arg);
  const line = big === null ? arg : "x".repeat(Number(big[1]));
  const ok = await conn.write(encoder.encode(`${line}\n`)).then(() => true, () => false);
  if (!ok) break; // the daemon closed an abusive connection
  if (!wait) continue;
  const before = text.split("\n").length;
  while (text.split("\n").length === before) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) break;
    text += decoder.decode(buf.subarray(0, n));
  }
}
conn.close();
await Deno.stdout.write(encoder.encode(`${text.trimEnd()}\n`));
