/**
 * POSIX `fnmatch(pattern, value, 0)` as glibc implements it in the C locale
 * (see docs/events.md#matching step 3): `*` also matches `/` and leading dots, `?` one
 * character, `[...]` / `[!...]` / `[^...]` sets with ranges and `[:class:]`,
 * `]` literal when first in a set, backslash escapes, and an unterminated `[`
 * matching itself literally.
 *
 * Characters are Unicode code points; a trailing backslash (outside or inside
 * a set) or an unknown `[:class:]` makes the pattern match nothing, as in glibc.
 *
 * Matching uses the linear "last star" backtracking scheme, so no pattern can
 * trigger the exponential blow-up a naïve RegExp translation would allow.
 *
 * @module
 */

/** A compiled pattern: a test on one value. */
export type FnmatchTest = (value: string) => boolean;

interface CharSet {
  readonly negate: boolean;
  readonly singles: ReadonlySet<number>;
  /** Inclusive [lo, hi] pairs, flattened. */
  readonly ranges: readonly number[];
  readonly classes: readonly ((c: number) => boolean)[];
}

const STAR = -1;
const ANY = -2;
/** A literal code point (≥ 0), `STAR`, `ANY`, or a bracket set. */
type Token = number | CharSet;

const BANG = 0x21;
const CARET = 0x5e;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const DASH = 0x2d;

const isUpper = (c: number) => c >= 0x41 && c <= 0x5a;
const isLower = (c: number) => c >= 0x61 && c <= 0x7a;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isAlpha = (c: number) => isUpper(c) || isLower(c);
const isAlnum = (c: number) => isAlpha(c) || isDigit(c);
const isGraph = (c: number) => c >= 0x21 && c <= 0x7e;

/** The C-locale character classes glibc accepts in `[:name:]`. */
const CLASSES: Readonly<Record<string, (c: number) => boolean>> = {
  alnum: isAlnum,
  alpha: isAlpha,
  blank: (c) => c === 0x20 || c === 0x09,
  cntrl: (c) => c < 0x20 || c === 0x7f,
  digit: isDigit,
  graph: isGraph,
  lower: isLower,
  print: (c) => c >= 0x20 && c <= 0x7e,
  punct: (c) => isGraph(c) && !isAlnum(c),
  space: (c) => c === 0x20 || (c >= 0x09 && c <= 0x0d),
  upper: isUpper,
  xdigit: (c) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66),
};

function setHas(set: CharSet, c: number): boolean {
  let found = set.singles.has(c);
  for (let i = 0; !found && i < set.ranges.length; i += 2) {
    found = c >= set.ranges[i]! && c <= set.ranges[i + 1]!;
  }
  for (let i = 0; !found && i < set.classes.length; i++) found = set.classes[i]!(c);
  return found !== set.negate;
}

/** `[` … `]` starting after the `[` at `start`: a set, "literal" (unterminated) or "never". */
function parseSet(
  cps: readonly number[],
  start: number,
): { set: CharSet; next: number } | "literal" | "never" {
  let p = start;
  const negate = cps[p] === BANG || cps[p] === CARET;
  if (negate) p++;
  const singles = new Set<number>();
  const ranges: number[] = [];
  const classes: ((c: number) => boolean)[] = [];
  let first = true;
  for (;;) {
    if (p >= cps.length) return "literal";
    const c = cps[p]!;
    if (c === RBRACKET && !first) return { set: { negate, singles, ranges, classes }, next: p + 1 };
    first = false;
    let lo: number;
    if (c === BACKSLASH) {
      if (p + 1 >= cps.length) return "never";
      lo = cps[p + 1]!;
      p += 2;
    } else if (c === LBRACKET && cps[p + 1] === COLON) {
      const cls = readClass(cps, p + 2);
      if (cls === null) {
        lo = c;
        p++;
      } else {
        const test = Object.hasOwn(CLASSES, cls.name) ? CLASSES[cls.name] : undefined;
        if (test === undefined) return "never";
        classes.push(test);
        p = cls.next;
        continue;
      }
    } else if (
      c === LBRACKET && (cps[p + 1] === 0x3d || cps[p + 1] === 0x2e) &&
      cps[p + 3] === cps[p + 1] && cps[p + 4] === RBRACKET && p + 2 < cps.length
    ) {
      // `[=c=]` / `[.c.]`: in the C locale both denote the single character c.
      lo = cps[p + 2]!;
      p += 5;
    } else {
      lo = c;
      p++;
    }
    if (cps[p] === DASH && p + 1 < cps.length && cps[p + 1] !== RBRACKET) {
      let hi = cps[p + 1]!;
      p += 2;
      if (hi === BACKSLASH) {
        if (p >= cps.length) return "never";
        hi = cps[p]!;
        p++;
      }
      ranges.push(lo, hi);
    } else {
      singles.add(lo);
    }
  }
}

/** Reads `name:]` of a `[:name:]` class at `start`; null when it is not one. */
function readClass(cps: readonly number[], start: number): { name: string; next: number } | null {
  let p = start;
  while (p < cps.length && isLower(cps[p]!)) p++;
  if (cps[p] !== COLON || cps[p + 1] !== RBRACKET) return null;
  return { name: String.fromCodePoint(...cps.slice(start, p)), next: p + 2 };
}

/** Tokens of a pattern, or null when it can match nothing. */
function tokenize(pattern: string): Token[] | null {
  const cps = Array.from(pattern, (ch) => ch.codePointAt(0)!);
  const tokens: Token[] = [];
  let p = 0;
  while (p < cps.length) {
    const c = cps[p]!;
    if (c === 0x2a) {
      if (tokens[tokens.length - 1] !== STAR) tokens.push(STAR);
      p++;
    } else if (c === 0x3f) {
      tokens.push(ANY);
      p++;
    } else if (c === BACKSLASH) {
      if (p + 1 >= cps.length) return null;
      tokens.push(cps[p + 1]!);
      p += 2;
    } else if (c === LBRACKET) {
      const parsed = parseSet(cps, p + 1);
      if (parsed === "never") return null;
      if (parsed === "literal") {
        tokens.push(c);
        p++;
      } else {
        tokens.push(parsed.set);
        p = parsed.next;
      }
    } else {
      tokens.push(c);
      p++;
    }
  }
  return tokens;
}

function matchOne(token: Token, c: number): boolean {
  if (typeof token === "number") return token === ANY || token === c;
  return setHas(token, c);
}

function matchTokens(tokens: readonly Token[], value: string): boolean {
  const n = value.length;
  const m = tokens.length;
  let t = 0;
  let s = 0;
  let starT = -1;
  let starS = 0;
  while (s < n) {
    const token = tokens[t];
    if (token === STAR) {
      starT = t++;
      starS = s;
      continue;
    }
    const c = value.codePointAt(s)!;
    if (token !== undefined && matchOne(token, c)) {
      t++;
      s += c > 0xffff ? 2 : 1;
      continue;
    }
    if (starT < 0) return false;
    // Let the last star swallow one more character and retry after it.
    t = starT + 1;
    starS += value.codePointAt(starS)! > 0xffff ? 2 : 1;
    s = starS;
  }
  while (t < m && tokens[t] === STAR) t++;
  return t === m;
}

const META = /[*?[\\]/;

/**
 * Compiles a pattern once, for repeated matching.
 *
 * @param pattern an fnmatch pattern
 * @returns a test equivalent to `fnmatch(pattern, value)`
 */
export function compileFnmatch(pattern: string): FnmatchTest {
  if (!META.test(pattern)) return (value) => value === pattern;
  const tokens = tokenize(pattern);
  if (tokens === null) return () => false;
  if (tokens.length === 1 && tokens[0] === STAR) return () => true;
  return (value) => matchTokens(tokens, value);
}

/** Bound on cached compiled patterns; the oldest entry is evicted first. */
const CACHE_LIMIT = 1024;
const cache = new Map<string, FnmatchTest>();

/**
 * `fnmatch(pattern, value, 0)`: whether `value` matches the glob `pattern`.
 *
 * @param pattern an fnmatch pattern
 * @param value the string to test
 * @returns true when the whole of `value` matches
 *
 * @example Usage
 * ```ts
 * import { fnmatch } from "./fnmatch.ts";
 * fnmatch("[!2345]", "6"); // true
 * fnmatch("eth*", "eth0/1"); // true
 * ```
 */
export function fnmatch(pattern: string, value: string): boolean {
  if (!META.test(pattern)) return value === pattern;
  let test = cache.get(pattern);
  if (test === undefined) {
    test = compileFnmatch(pattern);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(pattern, test);
  }
  return test(value);
}

/**
 * Whether `s` contains a character that fnmatch treats specially
 * (`*`, `?`, `[` or `\`), i.e. whether it may match more than itself.
 *
 * @param s a pattern or name
 * @returns true when `s` contains glob metacharacters
 */
export function hasGlob(s: string): boolean {
  return META.test(s);
}
