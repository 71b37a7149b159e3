import assert from "node:assert/strict";
import fc from "fast-check";
import { JobSyntaxError, type JobSyntaxErrorKind } from "./errors.ts";
import { applyOverride, defaultJobClass, parseJobConfig } from "./parse_job.ts";
import type { EventExpr, JobClassSpec } from "./types.ts";
import { expected, parseFailure as failure, thrown } from "./_test_failure.ts";

function ev(event: string): EventExpr {
  return { kind: "match", event, args: [] };
}

Deno.test("JobSyntaxError carries Upstart's exact messages (see docs/job-files.md#parse-errors)", () => {
  const messages: Record<JobSyntaxErrorKind, string> = {
    EXPECTED_TOKEN: "Expected token",
    UNEXPECTED_TOKEN: "Unexpected token",
    TRAILING_SLASH: "Trailing slash in file",
    UNTERMINATED_QUOTE: "Unterminated quoted string",
    UNTERMINATED_BLOCK: "Unterminated block",
    UNKNOWN_STANZA: "Unknown stanza",
    ILLEGAL_INTERVAL: "Illegal interval, expected number of seconds",
    ILLEGAL_EXIT: "Illegal exit status, expected integer",
    ILLEGAL_SIGNAL: "Illegal signal status, expected integer",
    ILLEGAL_UMASK: "Illegal file creation mask, expected octal integer",
    ILLEGAL_NICE: "Illegal nice value, expected -20 to 19",
    ILLEGAL_OOM: "Illegal oom adjustment, expected -16 to 15 or 'never'",
    ILLEGAL_LIMIT: "Illegal limit, expected 'unlimited' or integer",
    EXPECTED_EVENT: "Expected event",
    EXPECTED_OPERATOR: "Expected operator",
    EXPECTED_VARIABLE: "Expected variable name before value",
    MISMATCHED_PARENS: "Mismatched parentheses",
    // daybreak's own, for its extension stanzas
    ILLEGAL_CAPABILITY: "Illegal capability name",
    ILLEGAL_PATH: "Illegal path, expected absolute path",
    ILLEGAL_HOSTNAME: "Illegal host name, expected 1 to 64 letters, digits, '-' or '.'",
    ILLEGAL_ACTION: "Illegal action, expected start, stop, restart, reload or all",
    ILLEGAL_NAME: "Illegal user or group name",
    ILLEGAL_SECCOMP: "Illegal seccomp rule, expected default, deny or allow",
    ILLEGAL_SYSCALL: "Illegal system call name",
  };
  for (const [kind, message] of Object.entries(messages) as [JobSyntaxErrorKind, string][]) {
    const e = new JobSyntaxError(kind, { line: 4, column: 2, file: "/etc/init/a.conf" });
    assert.deepEqual([e.kind, e.message, e.name], [kind, message, "JobSyntaxError"]);
    assert.equal(e.format(), `/etc/init/a.conf:4:2: ${message}`);
  }
  const score = new JobSyntaxError("ILLEGAL_OOM", { line: 1, column: 1, oomScore: true });
  assert.equal(score.message, "Illegal oom score adjustment, expected -999 to 1000 or 'never'");
  assert.deepEqual([score.file, score.format()], [null, `1:1: ${score.message}`]);
});

Deno.test("defaultJobClass() is the docs/job-files.md#defaults record", () => {
  assert.deepEqual(defaultJobClass("net/apache", "/etc/init/net/apache.conf"), {
    name: "net/apache",
    file: "/etc/init/net/apache.conf",
    overrideFile: null,
    description: null,
    author: null,
    version: null,
    usage: null,
    instance: "",
    task: false,
    manual: false,
    respawn: false,
    respawnLimit: { count: 10, interval: 5 },
    normalExit: [],
    expect: "none",
    console: null,
    killSignal: 15,
    killTimeout: 5,
    reloadSignal: 1,
    umask: null,
    nice: null,
    oomScoreAdj: null,
    limits: {},
    chroot: null,
    chdir: null,
    setuid: null,
    setgid: null,
    apparmorLoad: null,
    apparmorSwitch: null,
    debug: false,
    env: [],
    export: [],
    emits: [],
    startOn: null,
    stopOn: null,
    processes: {},
    cgroups: [],
    noNewPrivileges: false,
    capabilities: null,
    privateTmp: false,
    protectSystem: false,
    readWritePaths: [],
    readOnlyPaths: [],
    privateNetwork: false,
    hostname: null,
    delegates: [],
  });
  assert.equal(defaultJobClass("x").file, null);
});

Deno.test("parseJobConfig() of an empty or comment-only file is the default record", () => {
  const want = defaultJobClass("job", "/etc/init/job.conf");
  for (const text of ["", "\n\n", "# comment\n   # indented\n\t\n", "  \r\n"]) {
    assert.deepEqual(parseJobConfig(text, { name: "job", file: "/etc/init/job.conf" }), want);
  }
});

Deno.test("parseJobConfig() skips leading whitespace, blank lines and comments", () => {
  const job = parseJobConfig("  # c\n\n\t description  x # y\n   exec a#b\n", { name: "j" });
  assert.deepEqual([job.description, job.processes.main?.command], ["x", "a"]);
});

Deno.test("parseJobConfig() reads CRLF files like LF files", () => {
  const job = parseJobConfig('description "d"\r\nstart on a or b\r\nexec run it\r\n', {
    name: "j",
  });
  assert.equal(job.description, "d");
  assert.deepEqual(job.startOn, { kind: "or", left: ev("a"), right: ev("b") });
  assert.equal(job.processes.main?.command, "run it");
});

Deno.test("parseJobConfig() rejects unknown and miscased keywords at the keyword", () => {
  assert.deepEqual(failure("exec a\nbleaugh!\n"), expected("UNKNOWN_STANZA", 2, 1));
  assert.deepEqual(failure("  Exec foo\n"), expected("UNKNOWN_STANZA", 1, 3));
  assert.deepEqual(failure('"exec" foo\n'), expected("UNKNOWN_STANZA", 1, 1));
  // libnih has stepped over the continuation before looking the keyword up.
  assert.deepEqual(failure("foo \\\n  bar\n"), expected("UNKNOWN_STANZA", 2, 3));
});

Deno.test("parseJobConfig() reports lexical errors at Upstart's lines", () => {
  assert.deepEqual(failure('description "abc\nexec x\n'), expected("UNTERMINATED_QUOTE", 3, 1));
  assert.deepEqual(failure("exec x\ndescription a\\"), expected("TRAILING_SLASH", 2, 13));
  assert.deepEqual(failure("exec x\ndescription a \\"), expected("UNEXPECTED_TOKEN", 2, 15));
  assert.deepEqual(failure("script\n  a\nend scrip\n"), expected("UNTERMINATED_BLOCK", 4, 1));
});

Deno.test("parseJobConfig() folds continuation lines of multi-argument stanzas", () => {
  const job = parseJobConfig("emits a \\\n  b\nexec /bin/foo \\\n\t--bar\n", { name: "j" });
  assert.deepEqual([job.emits, job.processes.main?.command], [["a", "b"], "/bin/foo --bar"]);
});

Deno.test("parseJobConfig() ends start on at the line end outside parentheses", () => {
  assert.deepEqual(failure("start on a or\nb\n"), expected("EXPECTED_EVENT", 1, 12));
  const job = parseJobConfig("start on a\nstop on b\n", { name: "j" });
  assert.deepEqual([job.startOn, job.stopOn], [ev("a"), ev("b")]);
});

Deno.test("parseJobConfig() lets an unclosed parenthesis swallow the rest of the file", () => {
  assert.deepEqual(
    failure("start on (a or b\nexec /bin/x\nrespawn\n"),
    expected("MISMATCHED_PARENS", 4, 1),
  );
  assert.deepEqual(failure("start on (a or b\nexec /bin/x"), expected("MISMATCHED_PARENS", 2, 12));
  // A blank line inside the group is an empty token first.
  assert.deepEqual(failure("start on (a\n\nexec /bin/x\n"), expected("EXPECTED_TOKEN", 2, 1));
});

Deno.test("parseJobConfig() attaches the file to errors and format() renders it", () => {
  const e = thrown(() => parseJobConfig("nice 40\n", { name: "j", file: "/etc/init/j.conf" }));
  assert.deepEqual([e.file, e.line, e.column], ["/etc/init/j.conf", 1, 6]);
  assert.equal(e.message, "Illegal nice value, expected -20 to 19");
  assert.equal(e.format(), "/etc/init/j.conf:1:6: Illegal nice value, expected -20 to 19");
  assert.ok(e instanceof SyntaxError);
  const bare = thrown(() => parseJobConfig("nice 40\n", { name: "j" }));
  assert.equal(bare.format(), "1:6: Illegal nice value, expected -20 to 19");
});

const CONF = 'start on started\nauthor "wibble"\nenv A=1\nexport A\nemits e1\nnormal exit 1\n' +
  "limit nofile 1 2\ncgroup cpu shares 1\nexec /bin/conf\nkill timeout 9\n";

function conf(): JobClassSpec {
  return parseJobConfig(CONF, { name: "foo", file: "/etc/init/foo.conf" });
}

Deno.test("applyOverride() replaces single values and appends lists (see docs/configuration.md#overrides)", () => {
  const base = conf();
  const job = applyOverride(
    base,
    "author other\nenv A=2\nexport B\nemits e2\nnormal exit TERM\nlimit core 0 0\n" +
      "cgroup cpu shares 2\nscript\n  echo\nend script\nstop on stopping x\ntask\n",
    { file: "/etc/init/foo.override" },
  );
  assert.equal(job.name, "foo");
  assert.equal(job.file, "/etc/init/foo.conf");
  assert.equal(job.overrideFile, "/etc/init/foo.override");
  assert.equal(job.author, "other");
  assert.deepEqual(job.startOn, ev("started"));
  assert.deepEqual(job.env, ["A=1", "A=2"]);
  assert.deepEqual(job.export, ["A", "B"]);
  assert.deepEqual(job.emits, ["e1", "e2"]);
  assert.deepEqual(job.normalExit, [
    { kind: "status", value: 1 },
    { kind: "signal", name: "TERM", signal: 15 },
  ]);
  assert.deepEqual(job.limits, { nofile: [1, 2], core: [0, 0] });
  assert.deepEqual(job.cgroups, [{
    controller: "cpu",
    name: "$UPSTART_CGROUP",
    settings: [["shares", "2"]],
  }]);
  assert.deepEqual(job.processes.main, { script: true, command: "echo\n", line: 8 });
  assert.deepEqual(job.stopOn, {
    kind: "match",
    event: "stopping",
    args: [{ kind: "positional", value: "x" }],
  });
  assert.equal(job.task, true);
  assert.equal(job.killTimeout, 9);
});

Deno.test("applyOverride() with manual clears start on", () => {
  const job = applyOverride(conf(), "manual\n", { file: "/etc/init/foo.override" });
  assert.deepEqual([job.manual, job.startOn], [true, null]);
  const restarted = applyOverride(conf(), "manual\nstart on other\n", { file: "/o" });
  assert.deepEqual(restarted.startOn, ev("other"));
});

Deno.test("applyOverride() leaves the base untouched", () => {
  const base = conf();
  const snapshot = structuredClone(base);
  applyOverride(base, "env B=1\nemits x\nlimit core 1 1\ncgroup cpu shares 5\nmanual\n", {
    file: "/o",
  });
  assert.deepEqual(base, snapshot);
  assert.throws(() => applyOverride(base, "env C=1\nbleaugh!\n", { file: "/o" }), JobSyntaxError);
  assert.deepEqual(base, snapshot);
});

Deno.test("applyOverride() reports errors with the override's path", () => {
  const e = thrown(() =>
    applyOverride(conf(), "manual\nbleaugh!\n", { file: "/etc/init/foo.override" })
  );
  assert.equal(e.format(), "/etc/init/foo.override:2:1: Unknown stanza");
});

Deno.test("parseJobConfig() with base parses into a copy of it", () => {
  const base = conf();
  const job = parseJobConfig("respawn\n", { name: "foo", file: "/elsewhere", base });
  assert.deepEqual({ ...job, respawn: false }, base);
  assert.equal(job.respawn, true);
});

const PIECES = [
  "exec a",
  "script",
  "end script",
  "start on",
  "stop on",
  "(",
  ")",
  " and ",
  " or ",
  "env A=1",
  "description",
  "normal exit",
  "kill signal",
  "limit nofile",
  "oom score",
  "umask",
  "nice",
  "manual",
  "cgroup",
  "pre-start",
  "respawn limit",
  "\n",
  "\r\n",
  " ",
  "\t",
  "#",
  '"',
  "'",
  "\\",
  "\\\n",
  "1",
  "-1",
  "TERM",
  "unlimited",
  "x=y",
  "!=",
  "\u0000",
  "é",
];

Deno.test("parseJobConfig() throws only JobSyntaxError, whatever the input", () => {
  const text = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.string({ unit: fc.constantFrom(...PIECES), maxLength: 40 }),
  );
  fc.assert(
    fc.property(text, (input) => {
      try {
        parseJobConfig(input, { name: "fuzz", file: "/f.conf" });
      } catch (e) {
        if (!(e instanceof JobSyntaxError)) throw e;
        assert.equal(e.file, "/f.conf");
        assert.ok(e.line >= 1 && e.column >= 1, e.format());
      }
    }),
    { numRuns: 2000 },
  );
});
