/**
 * Shared by the reliability suite's parts (one `*_test.ts` file per part in
 * tests/stress/, see tests/stress/README.md): the mode (short in
 * the normal test run, long with `deno task stress`, which passes `--long`),
 * and the figures every part prints — inputs tried, failures, data lost,
 * daemon alive, memory before/after.
 *
 * @module
 */

import { listDir } from "../../sys/libc.ts";
export { rssKiB } from "../helpers/raw_client.ts";

/** Whether the suite runs in its long mode (`--long` after `--`, or DAYBREAK_STRESS=long). */
export const LONG: boolean = Deno.args.includes("--long") ||
  Deno.env.get("DAYBREAK_STRESS") === "long";

/** `short` in the normal test run, `long` in the long mode. */
export function scale<T>(short: T, long: T): T {
  return LONG ? long : short;
}

/** Open file descriptors of a process, or null when gone. */
export function fdCount(pid: number): number | null {
  try {
    return listDir(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/** A figure of a report. */
export type Figure = number | string | boolean | null;

/** The figures of one part, printed as one block (and appended to $DAYBREAK_STRESS_REPORT). */
export class StressReport {
  readonly #part: string;
  readonly #figures = new Map<string, Figure>();
  readonly #t0: number;

  /** `startedAt` (a `performance.now()` time) when the part began before its report was made. */
  constructor(part: string, startedAt: number = performance.now()) {
    this.#part = part;
    this.#t0 = startedAt;
  }

  /** Sets a figure (e.g. `inputs tried`, `failures`, `daemon alive`, `rss before KiB`). */
  set(name: string, value: Figure): this {
    this.#figures.set(name, value);
    return this;
  }

  /** Adds to a numeric figure. */
  add(name: string, by = 1): this {
    const now = this.#figures.get(name);
    this.#figures.set(name, (typeof now === "number" ? now : 0) + by);
    return this;
  }

  get(name: string): Figure | undefined {
    return this.#figures.get(name);
  }

  /** Prints the figures; call once at the end of the part (in a `finally`). */
  print(): void {
    const seconds = ((performance.now() - this.#t0) / 1000).toFixed(1);
    const lines = [`stress ${this.#part} (${LONG ? "long" : "short"} mode, ${seconds} s)`];
    for (const [k, v] of this.#figures) lines.push(`  ${k}: ${v}`);
    const text = `${lines.join("\n")}\n`;
    Deno.stdout.writeSync(new TextEncoder().encode(text));
    const file = Deno.env.get("DAYBREAK_STRESS_REPORT");
    if (file) {
      const record = { part: this.#part, long: LONG, seconds: Number(seconds) };
      Deno.writeTextFileSync(
        file,
        `${JSON.stringify({ ...record, ...Object.fromEntries(this.#figures) })}\n`,
        { append: true },
      );
    }
  }
}
