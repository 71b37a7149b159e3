// parse_argv.ts gives node:util's parseArgs results for init's options: compared on generated
// command lines.
import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import fc from "fast-check";
import { type ArgOption, parseArgv } from "./parse_argv.ts";

const OPTIONS: Record<string, ArgOption> = {
  user: { type: "boolean" },
  confdir: { type: "string", multiple: true },
  logdir: { type: "string" },
  verbose: { type: "boolean", short: "v" },
  quiet: { type: "boolean", short: "q" },
  file: { type: "string", short: "f" },
  "no-log": { type: "boolean" },
};

const word = fc.oneof(
  fc.constantFrom(
    "--",
    "-",
    "--user",
    "--confdir",
    "--confdir=x",
    "--logdir",
    "--logdir=",
    "--=a=b",
    "--=x",
    "--bogus",
    "--bogus=1",
    "--user=yes",
    "--__proto__",
    "-v",
    "-q",
    "-f",
    "-vq",
    "-vfX",
    "-fX",
    "-x",
    "-vx",
    "-qf",
    "2",
    "S",
    "a=b",
  ),
  fc.string({ maxLength: 5 }),
);

function node(args: string[]) {
  const { values, positionals, tokens } = parseArgs({
    args,
    options: OPTIONS as Parameters<typeof parseArgs>[0] extends infer C
      ? C extends { options?: infer O } ? O : never
      : never,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  return {
    values: { ...values },
    positionals,
    tokens: tokens.flatMap((t) =>
      t.kind === "option" ? [{ name: t.name, rawName: t.rawName, value: t.value }] : []
    ),
  };
}

Deno.test("parseArgv gives node:util parseArgs's values, positionals and option tokens", () => {
  fc.assert(
    fc.property(fc.array(word, { maxLength: 8 }), (args) => {
      const ours = parseArgv(args, OPTIONS);
      const theirs = node(args);
      assert.deepEqual({ ...ours.values }, theirs.values);
      assert.deepEqual(ours.positionals, theirs.positionals);
      assert.deepEqual(
        ours.tokens.map((t) => ({ name: t.name, rawName: t.rawName, value: t.value })),
        theirs.tokens,
      );
    }),
    { numRuns: 5000 },
  );
});
