import assert from "node:assert/strict";
import { Lexer } from "./_tokenizer.ts";
import { expected, failureOf as failure } from "./_test_failure.ts";

/** Reads every dequoted argument up to the end of the first logical line. */
function args(text: string): string[] {
  const lex = new Lexer(text);
  const out: string[] = [];
  while (lex.hasToken()) out.push(lex.arg());
  return out;
}

Deno.test("Lexer.arg() dequotes per the docs/job-files.md#arguments table", async (t) => {
  const cases: [string, string[]][] = [
    ["a b\tc", ["a", "b", "c"]],
    ["\"a b\" 'c d'", ["a b", "c d"]],
    ['FOO="a b"', ["FOO=a b"]],
    ['x"#"y', ["x#y"]],
    ["a\\ b", ["a b"]],
    ["a\\\tb", ["a\tb"]],
    ["a\\\\b", ["a\\b"]],
    ["\\$HOME", ["\\$HOME"]],
    ['"a\\"b"', ['a\\"b']],
    ["a\\#b c", ["a\\#b", "c"]],
    ["foo#bar", ["foo"]],
    ["a\rb", ["a", "b"]],
    ["'it''s'", ["its"]],
    ['"a  "b', ["a  b"]],
  ];
  for (const [input, want] of cases) {
    await t.step(JSON.stringify(input), () => assert.deepEqual(args(input), want));
  }
});

Deno.test("Lexer.arg() folds a newline inside quotes to one space and counts the line", () => {
  const lex = new Lexer('"a  \n   b" next');
  assert.equal(lex.arg(), "a b");
  assert.equal(lex.line, 2);
  assert.equal(lex.arg(), "next");
});

Deno.test("Lexer.arg() continues a token across backslash-newline only when glued", () => {
  const glued = new Lexer("foo\\\nbar");
  assert.equal(glued.arg(), "foo bar");
  assert.equal(glued.line, 2);
  // The quirk: whitespace after the continuation starts a new token.
  const spaced = new Lexer("foo\\\n  bar");
  assert.equal(spaced.arg(), "foo");
  assert.equal(spaced.line, 2);
  assert.equal(spaced.arg(), "bar");
});

Deno.test("Lexer.word() keeps quotes and escapes", () => {
  const lex = new Lexer('"exec" a\\ b \\\\');
  assert.equal(lex.word(), '"exec"');
  assert.equal(lex.word(), "a\\ b");
  assert.equal(lex.word(), "\\\\");
});

Deno.test("Lexer.token() stops at glued parentheses only when asked", () => {
  const lex = new Lexer("a(b) '(c)'");
  assert.equal(lex.token(true, true), "a");
  assert.equal(lex.peek(), 40);
  const plain = new Lexer("a(b) '(c)'");
  assert.deepEqual([plain.arg(), plain.arg()], ["a(b)", "(c)"]);
});

Deno.test("Lexer.arg() reports its errors at Upstart's positions", async (t) => {
  await t.step("empty token", () => {
    const lex = new Lexer("   \n");
    lex.skipSpaces();
    assert.deepEqual(failure(() => lex.arg()), expected("EXPECTED_TOKEN", 1, 4));
  });
  await t.step("a pair of quotes is an empty token", () => {
    assert.deepEqual(failure(() => new Lexer('""').arg()), expected("EXPECTED_TOKEN", 1, 1));
  });
  await t.step("trailing slash", () => {
    assert.deepEqual(failure(() => new Lexer("ab\\").arg()), expected("TRAILING_SLASH", 1, 1));
  });
  await t.step("unterminated quote gives up at the end of the file", () => {
    const err = failure(() => new Lexer('"abc\ndef\n').arg());
    assert.deepEqual(err, expected("UNTERMINATED_QUOTE", 3, 1));
  });
  await t.step("unterminated quote on the last line keeps the token's column", () => {
    const lex = new Lexer("x 'abc");
    lex.arg();
    assert.deepEqual(failure(() => lex.arg()), expected("UNTERMINATED_QUOTE", 1, 3));
  });
});

Deno.test("Lexer.skipWhitespace() steps over continuations and counts them", () => {
  const lex = new Lexer(" \t\\\n \\\n\rx");
  lex.skipWhitespace();
  assert.equal(lex.peek(), "x".charCodeAt(0));
  assert.equal(lex.line, 3);
  const slash = new Lexer(" \\x");
  slash.skipWhitespace();
  assert.equal(slash.pos, 1);
});

Deno.test("Lexer.skipComment() accepts a comment or line end and rejects a token", () => {
  const lex = new Lexer("# note\nnext");
  lex.skipComment();
  assert.deepEqual([lex.pos, lex.line], [7, 2]);
  assert.deepEqual(
    failure(() => new Lexer("stray").skipComment()),
    expected("UNEXPECTED_TOKEN", 1, 1),
  );
});

Deno.test("Lexer.command() returns the raw rest of the line (see docs/job-files.md#command-lines)", async (t) => {
  const cases: [string, string][] = [
    ["foo#bar", "foo"],
    ["foo  bar   \t", "foo  bar"],
    ["/bin/sh -c 'a # b' # comment", "/bin/sh -c 'a # b'"],
    ['echo "a  b" \\$x \\\\ \\"', 'echo "a  b" \\$x \\\\ \\"'],
    ["/bin/foo \\\n\t--bar", "/bin/foo --bar"],
    ["a   \\\n   \\\n  b", "a b"],
    ["echo 'a  \n  b'", "echo 'a b'"],
    ["echo \\#x", "echo \\#x"],
    ["run\r", "run"],
  ];
  for (const [input, want] of cases) {
    await t.step(JSON.stringify(input), () => {
      const lex = new Lexer(input + "\nnext");
      assert.equal(lex.command(), want);
      assert.equal(lex.src.slice(lex.pos), "next");
    });
  }
  await t.step("an unterminated quote fails at the end of the file", () => {
    assert.deepEqual(
      failure(() => new Lexer("echo 'a\nb\n").command()),
      expected("UNTERMINATED_QUOTE", 3, 1),
    );
  });
});

function block(text: string): { text: string; rest: string; line: number } {
  const lex = new Lexer(text);
  const out = lex.block("script");
  return { text: out, rest: lex.src.slice(lex.pos), line: lex.line };
}

Deno.test("Lexer.block() strips the common indentation (see docs/job-files.md#script-blocks)", async (t) => {
  await t.step("same indentation everywhere", () => {
    assert.equal(block("    a\n    b\n      c\nend script\n").text, "a\nb\n  c\n");
  });
  await t.step("a shallower line shrinks the prefix", () => {
    assert.equal(block("    a\n  b\nend script\n").text, "  a\nb\n");
  });
  await t.step("a tab where the first line has spaces stops the prefix", () => {
    assert.equal(block("  a\n\tb\nend script\n").text, "  a\n\tb\n");
    assert.equal(block(" \ta\n \tb\nend script\n").text, "a\nb\n");
    assert.equal(block(" \ta\n  b\nend script\n").text, "\ta\n b\n");
  });
  await t.step("an empty line keeps the whole indentation", () => {
    assert.equal(block("  a\n\n  b\nend script\n").text, "  a\n\n  b\n");
  });
  await t.step("a whitespace-only line only shrinks to its own length", () => {
    assert.equal(block("    a\n  \n    b\nend script\n").text, "  a\n\n  b\n");
  });
  await t.step("contents are not tokenised", () => {
    const body = 'echo "unterminated\n# not a comment \\\nend\nend scripts\nendscript\n';
    assert.equal(block(body + "end script\n").text, body);
  });
  await t.step("an empty block", () => {
    assert.deepEqual(block("end script\nx"), { text: "", rest: "x", line: 2 });
  });
});

Deno.test("Lexer.block() recognises terminator lines exactly", async (t) => {
  const terminators = [
    "end script",
    "  end script",
    "end\tscript",
    "end   script   ",
    "end script # done",
    "end script#done",
    "end script\r",
  ];
  for (const end of terminators) {
    await t.step(`terminator ${JSON.stringify(end)}`, () => {
      assert.deepEqual(block(`x\n${end}\nrest`), { text: "x\n", rest: "rest", line: 3 });
    });
  }
  const others = ["endscript", "end scripts", "end script foo", "End script", "end", "end  "];
  for (const line of others) {
    await t.step(`not a terminator ${JSON.stringify(line)}`, () => {
      assert.deepEqual(block(`${line}\nend script\n`).text, `${line}\n`);
    });
  }
  await t.step("the terminator may end the file without a newline", () => {
    assert.deepEqual(block("  x\nend script"), { text: "x\n", rest: "", line: 2 });
  });
});

Deno.test("Lexer.block() reports an unterminated block past the last line", () => {
  assert.deepEqual(
    failure(() => new Lexer("a\nb\n").block("script")),
    expected("UNTERMINATED_BLOCK", 3, 1),
  );
  assert.deepEqual(
    failure(() => new Lexer("a\nbc").block("script")),
    expected("UNTERMINATED_BLOCK", 2, 3),
  );
});

Deno.test("Lexer.fail() uses the cursor's column when the token began on another line", () => {
  const lex = new Lexer("ab\n  cd");
  lex.pos = 5;
  lex.line = 2;
  const err = failure(() => lex.fail("UNKNOWN_STANZA", 2, 0));
  assert.deepEqual([err.line, err.column], [2, 3]);
  assert.deepEqual(failure(() => lex.fail("UNKNOWN_STANZA", 1, 1)).column, 2);
});
