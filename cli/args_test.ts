import assert from "node:assert/strict";
import { formatOptionHelp, type OptionDef, parseArgs } from "./args.ts";
import { UsageError } from "./exit.ts";

const DEFS: OptionDef[] = [
  { long: "no-wait", short: "n", help: "do not wait" },
  { long: "quiet", short: "q", help: "quiet" },
  { long: "socket", arg: "PATH", help: "socket" },
  { long: "ignore-events", short: "i", arg: "LIST", help: "ignore" },
];

Deno.test("parseArgs() mixes options and positionals in any order", () => {
  const { parsed } = parseArgs(["job", "-n", "A=1", "--quiet", "B=2"], DEFS);
  assert.deepEqual(parsed.positionals, ["job", "A=1", "B=2"]);
  assert.equal(parsed.has("no-wait"), true);
  assert.equal(parsed.has("quiet"), true);
  assert.equal(parsed.has("socket"), false);
});

Deno.test("parseArgs() takes values attached, after =, or as the next argument", () => {
  const { parsed } = parseArgs(
    ["--socket", "/a", "--socket=/b", "-ie1,e2", "-i", "e3", "-qi", "e4"],
    DEFS,
  );
  assert.deepEqual(parsed.values("socket"), ["/a", "/b"]);
  assert.equal(parsed.value("socket"), "/b");
  assert.deepEqual(parsed.values("ignore-events"), ["e1,e2", "e3", "e4"]);
  assert.equal(parsed.has("quiet"), true);
  assert.equal(parsed.value("nothing"), undefined);
});

Deno.test("parseArgs() groups short flags and treats a lone - as a positional", () => {
  const { parsed } = parseArgs(["-nq", "-"], DEFS);
  assert.equal(parsed.has("no-wait"), true);
  assert.equal(parsed.has("quiet"), true);
  assert.deepEqual(parsed.positionals, ["-"]);
});

Deno.test("parseArgs() ends options at --", () => {
  const { parsed } = parseArgs(["-n", "--", "-q", "--socket"], DEFS);
  assert.deepEqual(parsed.positionals, ["-q", "--socket"]);
  assert.equal(parsed.has("quiet"), false);
});

Deno.test("parseArgs() stops after the first positional when asked", () => {
  const { parsed, next } = parseArgs(["-q", "--socket", "/s", "start", "-n", "job"], DEFS, {
    stopAtPositional: true,
  });
  assert.deepEqual(parsed.positionals, ["start"]);
  assert.equal(next, 4);
  assert.equal(parsed.has("no-wait"), false);
  const after = parseArgs(["--", "-x", "y"], DEFS, { stopAtPositional: true });
  assert.deepEqual(after.parsed.positionals, ["-x"]);
  assert.equal(after.next, 2);
});

Deno.test("parseArgs() records into a given result", () => {
  const first = parseArgs(["-q"], DEFS).parsed;
  parseArgs(["job", "-n"], DEFS, { into: first });
  assert.equal(first.has("quiet"), true);
  assert.equal(first.has("no-wait"), true);
  assert.deepEqual(first.positionals, ["job"]);
});

Deno.test("parseArgs() rejects bad options with libnih's messages", () => {
  assert.throws(() => parseArgs(["--bogus"], DEFS), new UsageError("invalid option: --bogus"));
  assert.throws(() => parseArgs(["--bogus=1"], DEFS), new UsageError("invalid option: --bogus=1"));
  assert.throws(() => parseArgs(["-nx"], DEFS), new UsageError("invalid option: -x"));
  assert.throws(() => parseArgs(["--socket"], DEFS), new UsageError("missing argument: --socket"));
  assert.throws(() => parseArgs(["-i"], DEFS), new UsageError("missing argument: -i"));
  assert.throws(
    () => parseArgs(["--quiet=yes"], DEFS),
    new UsageError("unexpected argument: --quiet=yes"),
  );
});

Deno.test("formatOptionHelp() aligns help at column 30", () => {
  assert.equal(
    formatOptionHelp(DEFS.slice(0, 3)),
    "  -n, --no-wait               do not wait\n" +
      "  -q, --quiet                 quiet\n" +
      "      --socket=PATH           socket\n",
  );
  assert.equal(
    formatOptionHelp([{ long: "a-very-long-option-name", arg: "VALUE", help: "h" }]),
    "      --a-very-long-option-name=VALUE\n" + " ".repeat(30) + "h\n",
  );
});
