/**
 * Upstart's `$VAR` expansion (see docs/behaviour.md#environment), used for instance names,
 * `apparmor switch`, `cgroup` names and event-match patterns.
 *
 * The algorithm mirrors Upstart's `environ_expand()`: a single left-to-right
 * scan in which substituted values are never re-scanned, `${…}` names and
 * words may themselves contain expansions, and the word of `${NAME-word}` /
 * `${NAME+word}` is expanded even when it ends up unused (so an unknown
 * parameter inside an unused word is still an error, as in Upstart).
 *
 * @module
 */

/** Why an expansion failed. */
export type ExpansionErrorKind = "UNKNOWN_PARAMETER" | "EXPECTED_OPERATOR" | "MISMATCHED_BRACES";

/**
 * An expansion failure, with Upstart's message text (see docs/behaviour.md#environment).
 *
 * @example Usage
 * ```ts
 * import { expand, ExpansionError } from "./expand.ts";
 * let message = "";
 * try {
 *   expand("$NOPE", new Map());
 * } catch (e) {
 *   if (e instanceof ExpansionError) message = e.message; // "Unknown parameter: NOPE"
 * }
 * ```
 */
export class ExpansionError extends Error {
  /** Machine-readable reason. */
  readonly kind: ExpansionErrorKind;
  /** The unknown parameter's name, for `UNKNOWN_PARAMETER`. */
  readonly parameter?: string;

  /**
   * @param kind why the expansion failed
   * @param parameter the unset name, for `UNKNOWN_PARAMETER`
   */
  constructor(kind: ExpansionErrorKind, parameter?: string) {
    super(
      kind === "UNKNOWN_PARAMETER"
        ? `Unknown parameter: ${parameter ?? ""}`
        : kind === "EXPECTED_OPERATOR"
        ? "Expected operator"
        : "Mismatched braces",
    );
    this.name = "ExpansionError";
    this.kind = kind;
    if (parameter !== undefined) this.parameter = parameter;
  }
}

const DOLLAR = 36; // $
const LBRACE = 123; // {
const RBRACE = 125; // }
const COLON = 58; // :
const MINUS = 45; // -
const PLUS = 43; // +

function isNameStart(c: number): boolean {
  return c === 95 || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57);
}

const VALID_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Stop sets for the three scanning contexts of `environ_expand_until()`. */
type Until = "top" | "name" | "word";

function stops(c: number, until: Until): boolean {
  switch (until) {
    case "top":
      return false;
    case "name":
      return c === RBRACE || c === COLON || c === MINUS || c === PLUS;
    case "word":
      return c === RBRACE;
  }
}

class Expander {
  readonly #s: string;
  readonly #env: ReadonlyMap<string, string>;
  #pos = 0;

  constructor(s: string, env: ReadonlyMap<string, string>) {
    this.#s = s;
    this.#env = env;
  }

  run(): string {
    return this.#until("top");
  }

  /** Expands from the current position up to (not including) a stop char or the end. */
  #until(until: Until): string {
    const s = this.#s;
    let out = "";
    let from = this.#pos;
    while (this.#pos < s.length) {
      const c = s.charCodeAt(this.#pos);
      if (stops(c, until)) break;
      if (c !== DOLLAR) {
        this.#pos++;
        continue;
      }
      out += s.slice(from, this.#pos);
      this.#pos++;
      out += this.#reference();
      from = this.#pos;
    }
    return out + s.slice(from, this.#pos);
  }

  /** Expands one reference; the position is just past its `$`. */
  #reference(): string {
    const s = this.#s;
    const c = s.charCodeAt(this.#pos);
    if (isNameStart(c)) {
      const start = this.#pos++;
      while (this.#pos < s.length && isNameChar(s.charCodeAt(this.#pos))) this.#pos++;
      return this.#lookup(s.slice(start, this.#pos));
    }
    if (c !== LBRACE) return "$";
    if (s.charCodeAt(this.#pos + 1) === RBRACE) {
      this.#pos += 2;
      return "$";
    }
    this.#pos++;
    const name = this.#until("name");
    // Upstart reports an invalid name as "Illegal parameter"; docs/behaviour.md#environment
    // files `${NAME?x}` and friends under "Expected operator", so we do too.
    if (!VALID_NAME.test(name)) throw new ExpansionError("EXPECTED_OPERATOR");

    let op: "value" | "default" | "alternate" = "value";
    let ignoreEmpty = false;
    const c1 = s.charCodeAt(this.#pos);
    const c2 = s.charCodeAt(this.#pos + 1);
    if (c1 === COLON && (c2 === MINUS || c2 === PLUS)) {
      op = c2 === MINUS ? "default" : "alternate";
      ignoreEmpty = true;
      this.#pos += 2;
    } else if (c1 === MINUS || c1 === PLUS) {
      op = c1 === MINUS ? "default" : "alternate";
      this.#pos++;
    } else if (this.#pos < s.length && c1 !== RBRACE) {
      throw new ExpansionError("EXPECTED_OPERATOR");
    }

    const word = this.#until("word");
    if (s.charCodeAt(this.#pos) !== RBRACE) throw new ExpansionError("MISMATCHED_BRACES");
    this.#pos++;

    const value = this.#env.get(name);
    const unset = value === undefined || (ignoreEmpty && value === "");
    switch (op) {
      case "value":
        return this.#lookup(name);
      case "default":
        return unset ? word : value;
      case "alternate":
        return unset ? "" : word;
    }
  }

  #lookup(name: string): string {
    const value = this.#env.get(name);
    if (value === undefined) throw new ExpansionError("UNKNOWN_PARAMETER", name);
    return value;
  }
}

/**
 * Expands every `$NAME`, `${NAME}`, `${NAME-w}`, `${NAME:-w}`, `${NAME+w}`,
 * `${NAME:+w}` and `${}` reference in `template` (see docs/behaviour.md#environment).
 *
 * @param template the text to expand
 * @param env the variables available to the expansion
 * @returns the expanded text
 * @throws {ExpansionError} for an unset plain reference, a bad operator or a missing `}`
 *
 * @example Usage
 * ```ts
 * import { expand } from "./expand.ts";
 * const env = new Map([["JOB", "net"], ["INTERFACE", "eth0"]]);
 * expand("$JOB${INTERFACE:+/}${INTERFACE:-}", env); // "net/eth0"
 * ```
 */
export function expand(template: string, env: ReadonlyMap<string, string>): string {
  if (!template.includes("$")) return template;
  return new Expander(template, env).run();
}

/**
 * Turns a `KEY=VALUE` list into a map; a later `KEY=` wins and entries
 * without `=` (bare `env KEY` references) are skipped.
 *
 * @param env the environment list
 * @returns the variables by name
 *
 * @example Usage
 * ```ts
 * import { envToMap } from "./expand.ts";
 * envToMap(["A=1", "B", "A=2"]).get("A"); // "2"
 * ```
 */
export function envToMap(env: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of env) {
    const eq = entry.indexOf("=");
    if (eq < 0) continue;
    map.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return map;
}
