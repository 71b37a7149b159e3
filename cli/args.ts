/**
 * initctl's command-line parser, after libnih's: long options with `=VALUE`
 * or a separate value, grouped short flags (`-nq`), short options with an
 * attached or separate value, `--` ending options, and options mixed freely
 * with arguments (see docs/tools.md#shortcuts). Hand-written because `node:util` costs about
 * 5 ms at start-up; errors carry libnih's wording.
 *
 * @module
 */

import { UsageError } from "./exit.ts";

/** One option a command accepts. */
export interface OptionDef {
  /** The long name, without dashes (`no-wait`). */
  readonly long: string;
  /** The one-letter short name, if any. */
  readonly short?: string;
  /** The value's placeholder in help (`PATH`) when the option takes a value. */
  readonly arg?: string;
  /** One line of help. */
  readonly help: string;
}

/** What `parseArgs()` found. */
export class ParsedArgs {
  /** The arguments that are not options, in order. */
  readonly positionals: string[] = [];
  readonly #values = new Map<string, string[]>();
  readonly #flags = new Set<string>();

  /**
   * Whether a flag was given.
   *
   * @param long the option's long name
   */
  has(long: string): boolean {
    return this.#flags.has(long);
  }

  /**
   * The values of an option that takes one, in order of appearance.
   *
   * @param long the option's long name
   */
  values(long: string): string[] {
    return this.#values.get(long) ?? [];
  }

  /**
   * The last value of an option that takes one.
   *
   * @param long the option's long name
   */
  value(long: string): string | undefined {
    return this.values(long).at(-1);
  }

  /** Records a flag. */
  setFlag(long: string): void {
    this.#flags.add(long);
  }

  /** Records a value. */
  addValue(long: string, value: string): void {
    const list = this.#values.get(long);
    if (list === undefined) this.#values.set(long, [value]);
    else list.push(value);
  }
}

/** Options of `parseArgs()`. */
export interface ParseOptions {
  /**
   * Stop at the first positional and return the index after it (used to find
   * initctl's command among the global options).
   * @default {false}
   */
  readonly stopAtPositional?: boolean;
  /** Where to record results; a new `ParsedArgs` by default. */
  readonly into?: ParsedArgs;
}

/**
 * Parses arguments against a set of options.
 *
 * @param args the arguments
 * @param defs the options accepted
 * @param options see `ParseOptions`
 * @returns the result, and the index where parsing stopped
 * @throws {UsageError} `invalid option: X`, `missing argument: X`, `unexpected argument: X`
 */
export function parseArgs(
  args: readonly string[],
  defs: readonly OptionDef[],
  options: ParseOptions = {},
): { parsed: ParsedArgs; next: number } {
  const parsed = options.into ?? new ParsedArgs();
  let i = 0;
  while (i < args.length) {
    const arg = args[i++] as string;
    if (arg === "--") {
      if (options.stopAtPositional) {
        if (i < args.length) parsed.positionals.push(args[i++] as string);
        return { parsed, next: i };
      }
      parsed.positionals.push(...args.slice(i));
      return { parsed, next: args.length };
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const def = defs.find((d) => d.long === name);
      if (def === undefined) throw new UsageError(`invalid option: ${arg}`);
      if (def.arg === undefined) {
        if (eq >= 0) throw new UsageError(`unexpected argument: ${arg}`);
        parsed.setFlag(def.long);
      } else if (eq >= 0) {
        parsed.addValue(def.long, arg.slice(eq + 1));
      } else {
        if (i >= args.length) throw new UsageError(`missing argument: ${arg}`);
        parsed.addValue(def.long, args[i++] as string);
      }
      continue;
    }
    if (arg.startsWith("-") && arg !== "-") {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j] as string;
        const def = defs.find((d) => d.short === letter);
        if (def === undefined) throw new UsageError(`invalid option: -${letter}`);
        if (def.arg === undefined) {
          parsed.setFlag(def.long);
          continue;
        }
        if (j + 1 < arg.length) {
          parsed.addValue(def.long, arg.slice(j + 1));
        } else {
          if (i >= args.length) throw new UsageError(`missing argument: -${letter}`);
          parsed.addValue(def.long, args[i++] as string);
        }
        break;
      }
      continue;
    }
    parsed.positionals.push(arg);
    if (options.stopAtPositional) return { parsed, next: i };
  }
  return { parsed, next: i };
}

/**
 * The `Options:` lines of a help text, in libnih's layout.
 *
 * @param defs the options
 * @returns one line per option, each ending in a newline
 */
export function formatOptionHelp(defs: readonly OptionDef[]): string {
  let out = "";
  for (const d of defs) {
    const short = d.short === undefined ? "    " : `-${d.short}, `;
    const long = `--${d.long}${d.arg === undefined ? "" : `=${d.arg}`}`;
    const left = `  ${short}${long}`;
    out += left.length < 30
      ? `${left.padEnd(30)}${d.help}\n`
      : `${left}\n${"".padEnd(30)}${d.help}\n`;
  }
  return out;
}
