import assert from "node:assert/strict";
import fc from "fast-check";
import { envToMap, expand, ExpansionError, type ExpansionErrorKind } from "./expand.ts";

const ENV = new Map([
  ["JOB", "net"],
  ["INTERFACE", "eth0"],
  ["EMPTY", ""],
  ["A_1", "one"],
  ["DOLLAR", "$JOB"],
  ["NAME", "JOB"],
]);

function assertFails(template: string, kind: ExpansionErrorKind, message: string): void {
  assert.throws(
    () => expand(template, ENV),
    (e: unknown) => e instanceof ExpansionError && e.kind === kind && e.message === message,
  );
}

Deno.test("expand() substitutes $NAME and ${NAME}", () => {
  assert.equal(expand("$JOB", ENV), "net");
  assert.equal(expand("${JOB}", ENV), "net");
  assert.equal(expand("x$JOB-y", ENV), "xnet-y");
  assert.equal(expand("${JOB}x", ENV), "netx");
  assert.equal(expand("$A_1.", ENV), "one.");
});

Deno.test("expand() takes the longest name after a bare $", () => {
  assertFails("$JOBS", "UNKNOWN_PARAMETER", "Unknown parameter: JOBS");
});

Deno.test("expand() rejects an unset plain reference with its name", () => {
  assert.throws(
    () => expand("a ${MISSING} b", ENV),
    (e: unknown) =>
      e instanceof ExpansionError && e.kind === "UNKNOWN_PARAMETER" &&
      e.parameter === "MISSING" && e.message === "Unknown parameter: MISSING",
  );
  assertFails("$MISSING", "UNKNOWN_PARAMETER", "Unknown parameter: MISSING");
});

Deno.test("expand() handles ${NAME-word} and ${NAME:-word}", () => {
  assert.equal(expand("${MISSING-def}", ENV), "def");
  assert.equal(expand("${EMPTY-def}", ENV), "");
  assert.equal(expand("${JOB-def}", ENV), "net");
  assert.equal(expand("${MISSING:-def}", ENV), "def");
  assert.equal(expand("${EMPTY:-def}", ENV), "def");
  assert.equal(expand("${JOB:-def}", ENV), "net");
  assert.equal(expand("${MISSING-}", ENV), "");
});

Deno.test("expand() handles ${NAME+word} and ${NAME:+word}", () => {
  assert.equal(expand("${MISSING+alt}", ENV), "");
  assert.equal(expand("${EMPTY+alt}", ENV), "alt");
  assert.equal(expand("${JOB+alt}", ENV), "alt");
  assert.equal(expand("${MISSING:+alt}", ENV), "");
  assert.equal(expand("${EMPTY:+alt}", ENV), "");
  assert.equal(expand("${JOB:+alt}", ENV), "alt");
});

Deno.test("expand() turns ${} and a $ not starting a reference into a literal $", () => {
  assert.equal(expand("${}", ENV), "$");
  assert.equal(expand("a${}b", ENV), "a$b");
  assert.equal(expand("$", ENV), "$");
  assert.equal(expand("cost $5", ENV), "cost $5");
  assert.equal(expand("$ $-x", ENV), "$ $-x");
  assert.equal(expand("$$JOB", ENV), "$net");
  assert.equal(expand("a}b", ENV), "a}b");
});

Deno.test("expand() expands nested references inside the word", () => {
  const template = "$JOB${INTERFACE:+/}${INTERFACE:-}";
  assert.equal(expand(template, ENV), "net/eth0");
  assert.equal(expand(template, new Map([["JOB", "net"]])), "net");
  assert.equal(expand("${MISSING:-${JOB}-x}", ENV), "net-x");
  assert.equal(expand("${MISSING:-${ALSO:-deep}}", ENV), "deep");
  assert.equal(expand("${MISSING:-${}}", ENV), "$");
  assert.equal(expand("${MISSING:-$}", ENV), "$");
});

Deno.test("expand() expands a reference inside the name part", () => {
  assert.equal(expand("${$NAME}", ENV), "net");
});

Deno.test("expand() does not re-scan substituted values", () => {
  assert.equal(expand("$DOLLAR", ENV), "$JOB");
  assert.equal(expand("${MISSING:-$DOLLAR}", ENV), "$JOB");
});

Deno.test("expand() expands an unused word too, like Upstart", () => {
  assertFails("${JOB:-$MISSING}", "UNKNOWN_PARAMETER", "Unknown parameter: MISSING");
  assertFails("${MISSING:+$NOPE}", "UNKNOWN_PARAMETER", "Unknown parameter: NOPE");
});

Deno.test("expand() rejects other operators with Expected operator", () => {
  assertFails("${JOB?x}", "EXPECTED_OPERATOR", "Expected operator");
  assertFails("${JOB:x}", "EXPECTED_OPERATOR", "Expected operator");
  assertFails("${JOB:=x}", "EXPECTED_OPERATOR", "Expected operator");
  assertFails("${1}", "EXPECTED_OPERATOR", "Expected operator");
  assertFails("${:-x}", "EXPECTED_OPERATOR", "Expected operator");
});

Deno.test("expand() rejects a missing } with Mismatched braces", () => {
  assertFails("${JOB", "MISMATCHED_BRACES", "Mismatched braces");
  assertFails("${JOB:-x", "MISMATCHED_BRACES", "Mismatched braces");
  assertFails("${MISSING+${JOB}", "MISMATCHED_BRACES", "Mismatched braces");
});

Deno.test("expand() is the identity on text without $", () => {
  fc.assert(
    fc.property(fc.string().filter((s) => !s.includes("$")), (s) => {
      assert.equal(expand(s, ENV), s);
    }),
  );
});

const NAME = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/);

Deno.test("expand() substitutes any set variable's value verbatim", () => {
  fc.assert(
    fc.property(NAME, fc.string(), fc.string(), (name, value, word) => {
      fc.pre(!word.includes("$") && !word.includes("}"));
      const env = new Map([[name, value]]);
      assert.equal(expand(`\${${name}}`, env), value);
      assert.equal(expand(`<$${name}>`, env), `<${value}>`);
      assert.equal(expand(`\${${name}-${word}}`, env), value);
      assert.equal(expand(`\${${name}+${word}}`, env), word);
      assert.equal(expand(`\${${name}:-${word}}`, new Map()), word);
    }),
  );
});

Deno.test("envToMap() lets a later KEY= win and skips bare names", () => {
  const map = envToMap(["A=1", "B", "C=x=y", "A=2", "D="]);
  assert.deepEqual([...map], [["A", "2"], ["C", "x=y"], ["D", ""]]);
});
