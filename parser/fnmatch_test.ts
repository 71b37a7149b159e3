import assert from "node:assert/strict";
import fc from "fast-check";
import { compileFnmatch, fnmatch, hasGlob } from "./fnmatch.ts";

function check(pattern: string, matches: string[], rejects: string[]): void {
  for (const value of matches) assert.ok(fnmatch(pattern, value), `${pattern} ~ ${value}`);
  for (const value of rejects) assert.ok(!fnmatch(pattern, value), `${pattern} !~ ${value}`);
}

Deno.test("fnmatch() compares a pattern without metacharacters literally", () => {
  check("eth0", ["eth0"], ["eth", "eth00", "ETH0", ""]);
  check("", [""], ["a"]);
});

Deno.test("fnmatch() lets * match any run, including / and leading dots", () => {
  check("*", ["", "a", "a/b", ".hidden"], []);
  check("eth*", ["eth", "eth0", "eth0/1"], ["et", "xeth0"]);
  check("/dev/*", ["/dev/sda", "/dev/disk/by-id/x"], ["/devx"]);
  check("*.conf", [".conf", "a.conf", "a/b.conf"], ["a.conf.bak"]);
  check("a*b*c", ["abc", "aXbYc", "abbbc", "acbc"], ["ab", "acb"]);
});

Deno.test("fnmatch() lets ? match exactly one character", () => {
  check("?", ["a", "/", "é", "😀"], ["", "ab"]);
  check("tty?", ["tty1"], ["tty", "tty10"]);
});

Deno.test("fnmatch() matches [set], ranges and negated sets", () => {
  check("[2345]", ["2", "5"], ["1", "6", "23", ""]);
  check("[!2345]", ["0", "6", "S"], ["2", "5", ""]);
  check("[^2345]", ["6"], ["3"]);
  check("[0-9a-f]", ["0", "9", "c"], ["g", "A"]);
  check("[z-a]", [], ["a", "z", "m"]);
  check("[a-]", ["a", "-"], ["b"]);
  check("[-a]", ["a", "-"], ["b"]);
  check("[/]", ["/"], ["a"]);
});

Deno.test("fnmatch() takes ] first in a set as a member", () => {
  check("[]]", ["]"], ["a"]);
  check("[]a]", ["]", "a"], ["b"]);
  check("[!]]", ["a"], ["]"]);
  check("[]-a]", ["]", "^", "a"], ["b"]);
});

Deno.test("fnmatch() honours backslash escapes inside and outside sets", () => {
  check("\\*", ["*"], ["a", ""]);
  check("a\\?", ["a?"], ["ab"]);
  check("\\[a]", ["[a]"], ["a"]);
  check("\\x", ["x"], ["\\x"]);
  check("[\\]]", ["]"], ["\\"]);
  check("[a\\-z]", ["a", "-", "z"], ["m"]);
  check("[a-\\z]", ["m"], ["\\"]);
});

Deno.test("fnmatch() never matches with a trailing backslash", () => {
  check("a\\", [], ["a", "a\\"]);
  check("[a\\", [], ["a", "[a\\"]);
});

Deno.test("fnmatch() treats an unterminated [ as a literal", () => {
  check("[abc", ["[abc"], ["a", "abc"]);
  check("[", ["["], [""]);
  check("[]", ["[]"], ["]"]);
  check("[!]", ["[!]"], ["a"]);
  check("a[*", ["a[", "a[xyz"], ["ab"]);
});

Deno.test("fnmatch() supports [:class:] names and rejects unknown ones", () => {
  check("[[:digit:]]", ["7"], ["a"]);
  check("[[:alpha:]_]", ["a", "Z", "_"], ["1"]);
  check("[![:space:]]", ["x"], [" ", "\t"]);
  check("[[:nope:]]", [], ["n", "[[:nope:]]"]);
  check("[[:x]", ["[", "x", ":"], ["]"]);
});

Deno.test("fnmatch() treats [=c=] and [.c.] as the character c", () => {
  check("[[=a=]b]", ["a", "b"], ["="]);
  check("[[.-.]x]", ["-", "x"], ["."]);
});

Deno.test("fnmatch() stays fast on patterns that make regexes backtrack", () => {
  const value = "a".repeat(20_000);
  const start = performance.now();
  assert.equal(fnmatch("*a*a*a*a*a*a*a*b", value), false);
  assert.equal(fnmatch("*a*a*a*a*a*a*a*a", value), true);
  assert.ok(performance.now() - start < 500);
});

Deno.test("fnmatch() stays correct past its cache bound", () => {
  for (let i = 0; i < 3000; i++) {
    assert.ok(fnmatch(`x${i}*`, `x${i}yz`));
    assert.ok(!fnmatch(`x${i}?`, `x${i}`));
  }
  assert.ok(fnmatch("x0*", "x0"));
});

Deno.test("hasGlob() spots *, ?, [ and \\", () => {
  for (const s of ["a*", "?", "x[1]", "a\\b"]) assert.ok(hasGlob(s), s);
  for (const s of ["plain", "", "a]b", "a-b/c.d"]) assert.ok(!hasGlob(s), s);
});

const PLAIN = fc.string().filter((s) => !hasGlob(s));

Deno.test("fnmatch() of a string without metacharacters is equality", () => {
  fc.assert(
    fc.property(PLAIN, fc.string(), (pattern, value) => {
      assert.equal(fnmatch(pattern, value), pattern === value);
      assert.ok(fnmatch(pattern, pattern));
    }),
  );
});

Deno.test("fnmatch() of a *-only pattern matches everything", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5 }), fc.string(), (stars, value) => {
      assert.ok(fnmatch("*".repeat(stars), value));
    }),
  );
});

Deno.test("fnmatch() of a fully escaped string matches only that string", () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), (literal, other) => {
      const pattern = Array.from(literal, (ch) => "\\" + ch).join("");
      assert.ok(fnmatch(pattern, literal));
      assert.equal(fnmatch(pattern, other), other === literal);
    }),
  );
});

/** Pattern pieces with a known regular-expression equivalent. */
const PIECES: readonly (readonly [glob: string, regex: string])[] = [
  ["a", "a"],
  ["b", "b"],
  ["/", "/"],
  ["*", "[^]*"],
  ["?", "[^]"],
  ["[ab]", "[ab]"],
  ["[!a]", "[^a]"],
  ["[a-c]", "[a-c]"],
  ["\\*", "\\*"],
];

Deno.test("fnmatch() agrees with an equivalent regular expression", () => {
  const pieces = fc.array(fc.constantFrom(...PIECES), { maxLength: 8 });
  const value = fc.array(fc.constantFrom("a", "b", "c", "/", "*"), { maxLength: 10 })
    .map((chars) => chars.join(""));
  fc.assert(
    fc.property(pieces, value, (parts, v) => {
      const glob = parts.map(([g]) => g).join("");
      const regex = new RegExp(`^${parts.map(([, r]) => r).join("")}$`, "u");
      assert.equal(fnmatch(glob, v), regex.test(v), `${glob} vs ${v}`);
      assert.equal(compileFnmatch(glob)(v), regex.test(v));
    }),
    { numRuns: 2000 },
  );
});
