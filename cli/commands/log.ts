/**
 * `log JOB [KEY=VALUE]... [-n N] [-f]` (beyond Upstart): prints the last lines
 * of an instance's `console log` file (see docs/behaviour.md#job-logs), whose path the daemon
 * gives, and with `-f` follows it until interrupted. The file's CRLF line ends
 * (written through a pty) are shown as LF.
 *
 * @module
 */

import { osErrorReason } from "../../protocol/client.ts";
import { type CommandContext, jobTarget } from "../context.ts";
import { CommandError, UsageError } from "../exit.ts";

/** Lines shown when `-n` is not given. */
export const DEFAULT_LINES = 10;

const NEWLINE = 10;
const CHUNK = 65536;

/** Turns log bytes into text, CRLF into LF, across chunk boundaries. */
export class LogText {
  readonly #decoder = new TextDecoder();
  #heldCr = false;

  /**
   * @param bytes the next bytes of the file
   * @param final true for the last chunk ever (a trailing CR is then kept)
   * @returns the text to print
   */
  push(bytes: Uint8Array, final = false): string {
    let text = (this.#heldCr ? "\r" : "") + this.#decoder.decode(bytes, { stream: !final });
    this.#heldCr = !final && text.endsWith("\r");
    if (this.#heldCr) text = text.slice(0, -1);
    return text.replaceAll("\r\n", "\n");
  }
}

async function readAt(file: Deno.FsFile, offset: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  await file.seek(offset, Deno.SeekMode.Start);
  let got = 0;
  while (got < length) {
    const n = await file.read(buf.subarray(got));
    if (n === null) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/**
 * The last `lines` lines of the first `size` bytes of a file, reading
 * backwards in chunks so that a large log costs no more than its tail.
 *
 * @param file an open file
 * @param size how much of it counts
 * @param lines how many lines; a final line without newline counts as one
 * @returns the bytes of those lines
 */
export async function tailBytes(
  file: Deno.FsFile,
  size: number,
  lines: number,
): Promise<Uint8Array> {
  if (lines <= 0 || size === 0) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let pos = size;
  let seen = 0;
  let start = 0;
  search: while (pos > 0) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const chunk = await readAt(file, pos, len);
    chunks.unshift(chunk);
    for (let i = chunk.length - 1; i >= 0; i--) {
      // The newline ending the last line does not start another one.
      if (chunk[i] !== NEWLINE || pos + i === size - 1) continue;
      if (++seen === lines) {
        start = pos + i + 1;
        break search;
      }
    }
  }
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all.subarray(start - pos);
}

function lineCount(ctx: CommandContext): number {
  const value = ctx.args.value("lines");
  if (value === undefined) return DEFAULT_LINES;
  if (!/^[0-9]+$/.test(value)) throw new UsageError(`invalid line count: ${value}`);
  return Number(value);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** Prints what is appended to `path` until `signal` aborts; starts at `offset`. */
async function follow(ctx: CommandContext, path: string, offset: number, ino: number | null) {
  const text = new LogText();
  while (!ctx.signal?.aborted) {
    await sleep(ctx.pollMs, ctx.signal);
    if (ctx.signal?.aborted) break;
    const info = await statOrNull(path);
    if (info === null) {
      offset = 0; // removed (rotated away): start from the top when it comes back
      ino = null;
      continue;
    }
    if ((ino !== null && info.ino !== ino) || info.size < offset) offset = 0;
    ino = info.ino;
    if (info.size <= offset) continue;
    using file = await Deno.open(path);
    const bytes = await readAt(file, offset, info.size - offset);
    offset += bytes.length;
    ctx.io.out(text.push(bytes));
  }
}

/**
 * `log [-n N] [-f] JOB [KEY=VALUE]...`.
 *
 * @param ctx the command's context
 * @returns the exit status
 * @throws {CommandError} when the job does not log to a file, or the file is
 *   missing (without `-f`, which waits for it)
 */
export async function log(ctx: CommandContext): Promise<number> {
  const target = jobTarget(ctx);
  const lines = lineCount(ctx);
  const followIt = ctx.args.has("follow");
  const client = await ctx.client();
  const selection = target.instance === undefined
    ? { job: target.job, env: target.env }
    : { job: target.job, env: target.env, instance: target.instance };
  const { path } = await client.call("job.logPath", selection);
  if (path === null) throw new CommandError(`Job does not log to a file: ${target.job}`);
  if (ctx.args.value("since") !== undefined || ctx.args.value("until") !== undefined) {
    return (await import("./log_since.ts")).logSince(ctx, path);
  }

  let offset = 0;
  let ino: number | null = null;
  try {
    using file = await Deno.open(path);
    const info = await file.stat();
    offset = info.size;
    ino = info.ino;
    ctx.io.out(new LogText().push(await tailBytes(file, offset, lines), true));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound && followIt)) {
      throw new CommandError(`${path}: ${osErrorReason(e)}`);
    }
  }
  if (followIt) await follow(ctx, path, offset, ino);
  return 0;
}
