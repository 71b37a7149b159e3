/**
 * `node:util`'s `parseArgs` as `init` calls it (`strict: false`, positionals allowed, tokens),
 * written out for the daemon's start-up: the first `node:` import of a process starts Deno's Node
 * compatibility layer, about 20 ms (docs/platform.md#start-up-costs). Same values and option
 * tokens: `--name`, `--name=value`, `--name value` for a string option, `-x`, `-xVALUE` and
 * `-xyz` groups, `--` ending the options; an unknown option counts as a boolean one.
 *
 * @module
 */

/** An option: its type, whether it repeats, and its one-letter form. */
export interface ArgOption {
  readonly type: "string" | "boolean";
  readonly multiple?: boolean;
  readonly short?: string;
}

/** One option as written on the command line. */
export interface OptionToken {
  readonly kind: "option";
  /** The long name (or, for an unknown short option, its letter). */
  readonly name: string;
  /** As written: `--name` or `-x`. */
  readonly rawName: string;
  readonly value: string | undefined;
}

/** The parsed options and positionals, and the options in the order written. */
export interface ParsedArgv {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: string[];
  readonly tokens: OptionToken[];
}

/**
 * Parses `args` against `options`, as `parseArgs({ args, options, strict: false,
 * allowPositionals: true, tokens: true })` does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseArgv } from "./parse_argv.ts";
 * const { values } = parseArgv(["--user", "--confdir", "a", "--confdir=b", "-q"], {
 *   user: { type: "boolean" },
 *   confdir: { type: "string", multiple: true },
 *   quiet: { type: "boolean", short: "q" },
 * });
 * assert.deepEqual({ ...values }, { user: true, confdir: ["a", "b"], quiet: true });
 * ```
 */
export function parseArgv(
  args: readonly string[],
  options: Readonly<Record<string, ArgOption>>,
): ParsedArgv {
  const values: ParsedArgv["values"] = Object.create(null);
  const positionals: string[] = [];
  const tokens: OptionToken[] = [];
  const known = (name: string) => Object.hasOwn(options, name) ? options[name] : undefined;
  const longOf = (letter: string) => {
    for (const [name, o] of Object.entries(options)) if (o.short === letter) return name;
    return letter;
  };
  const isString = (name: string) => known(name)?.type === "string";
  const store = (name: string, rawName: string, value: string | undefined) => {
    tokens.push({ kind: "option", name, rawName, value });
    if (name === "__proto__") return;
    const v = value ?? true;
    if (known(name)?.multiple === true) {
      const list = values[name];
      values[name] = Array.isArray(list) ? [...list, v] : [v];
    } else {
      values[name] = v;
    }
  };
  const rest = [...args];
  while (rest.length > 0) {
    const arg = rest.shift() as string;
    if (arg === "--") {
      positionals.push(...rest);
      break;
    }
    if (arg.startsWith("--")) {
      if (arg.includes("=", 3)) {
        const eq = arg.indexOf("=");
        store(arg.slice(2, eq), arg.slice(0, eq), arg.slice(eq + 1));
      } else {
        const name = arg.slice(2);
        store(name, arg, isString(name) && rest.length > 0 ? rest.shift() : undefined);
      }
      continue;
    }
    if (arg.length < 2 || !arg.startsWith("-")) {
      positionals.push(arg);
      continue;
    }
    // A group `-xyz` (its first letter not a string option) is taken apart as Node does: each
    // letter an option, the rest of the word the value of a string option inside, and a `-`
    // letter becomes `--`, which ends the options.
    const first = arg[1] as string;
    if (arg.length > 2 && !isString(longOf(first))) {
      const expanded: string[] = [];
      for (let i = 1; i < arg.length; i++) {
        const letter = arg[i] as string;
        if (!isString(longOf(letter)) || i === arg.length - 1) {
          expanded.push(`-${letter}`);
        } else {
          expanded.push(`-${arg.slice(i)}`);
          break;
        }
      }
      rest.unshift(...expanded);
    } else if (arg.length > 2) {
      store(longOf(first), `-${first}`, arg.slice(2)); // -xVALUE
    } else {
      const name = longOf(first);
      store(name, arg, isString(name) && rest.length > 0 ? rest.shift() : undefined);
    }
  }
  return { values, positionals, tokens };
}
