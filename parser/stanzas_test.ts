import assert from "node:assert/strict";
import { OOM_SCORE_MESSAGE } from "./errors.ts";
import { parseJobConfig } from "./parse_job.ts";
import { parseSignal, signalName } from "./signals.ts";
import { lookupStanza, STANZAS } from "./stanzas.ts";
import { type EventExpr, type JobClassSpec, LIMIT_RESOURCES } from "./types.ts";
import { expected, parseFailure as failure } from "./_test_failure.ts";

function parse(text: string): JobClassSpec {
  return parseJobConfig(text, { name: "test" });
}

function ev(event: string): EventExpr {
  return { kind: "match", event, args: [] };
}

Deno.test("STANZAS holds exactly Upstart 1.13's 35 keywords", () => {
  const keywords = "instance description author version env export start stop emits exec script " +
    "pre-start post-start pre-stop post-stop expect task kill reload respawn normal console umask " +
    "nice oom limit chroot chdir setuid setgid debug manual usage apparmor cgroup";
  assert.deepEqual(Object.keys(STANZAS).sort(), keywords.split(" ").sort());
  assert.equal(Object.keys(STANZAS).length, 35);
});

Deno.test("lookupStanza() matches raw keywords case-sensitively, never prototype names", () => {
  assert.equal(typeof lookupStanza("exec"), "function");
  for (const name of ["Exec", '"exec"', "constructor", "__proto__", "toString", ""]) {
    assert.equal(lookupStanza(name), undefined, name);
  }
});

Deno.test("single-argument text stanzas: value, default, last wins, one argument", async (t) => {
  const fields = {
    description: "description",
    author: "author",
    version: "version",
    usage: "usage",
    instance: "instance",
    chroot: "chroot",
    chdir: "chdir",
    setuid: "setuid",
    setgid: "setgid",
  } as const;
  for (const [keyword, field] of Object.entries(fields)) {
    await t.step(keyword, () => {
      assert.equal(parse("")[field], field === "instance" ? "" : null);
      assert.equal(parse(`${keyword} "a b"  # note\n`)[field], "a b");
      assert.equal(parse(`${keyword} one\n${keyword} two\n`)[field], "two");
      assert.deepEqual(
        failure(`${keyword} a b\n`),
        expected("UNEXPECTED_TOKEN", 1, keyword.length + 4),
      );
      assert.deepEqual(failure(`${keyword}\n`), expected("EXPECTED_TOKEN", 1, keyword.length + 1));
    });
  }
});

Deno.test("description rejects a continuation that starts with whitespace (see docs/job-files.md#arguments quirk)", () => {
  assert.deepEqual(failure("description foo\\\n  bar\n"), expected("UNEXPECTED_TOKEN", 2, 3));
  assert.equal(parse("description foo\\\nbar\n").description, "foo bar");
});

Deno.test("env appends entries in order, as written", () => {
  const job = parse('env A=1\nenv B\nenv A="x y"\nenv EMPTY=\n');
  assert.deepEqual(job.env, ["A=1", "B", "A=x y", "EMPTY="]);
  assert.deepEqual(parse("").env, []);
  assert.deepEqual(failure("env A B\n"), expected("UNEXPECTED_TOKEN", 1, 7));
  assert.deepEqual(failure("env\n"), expected("EXPECTED_TOKEN", 1, 4));
});

Deno.test("export and emits take one or more arguments and accumulate", async (t) => {
  for (const field of ["export", "emits"] as const) {
    await t.step(field, () => {
      assert.deepEqual(parse(`${field} a b\n${field} c \\\n  d # x\n`)[field], [
        "a",
        "b",
        "c",
        "d",
      ]);
      assert.deepEqual(parse("")[field], []);
      assert.deepEqual(
        failure(`${field} # none\n`),
        expected("EXPECTED_TOKEN", 1, field.length + 2),
      );
    });
  }
});

Deno.test("exec, script and the four hooks define processes; later ones replace", async (t) => {
  await t.step("exec and script for main", () => {
    assert.deepEqual(parse("exec /bin/a -x\n").processes.main, {
      script: false,
      command: "/bin/a -x",
      line: 1,
    });
    assert.deepEqual(parse("exec a\nscript\n  b\nend script\n").processes.main, {
      script: true,
      command: "b\n",
      line: 2,
    });
    assert.deepEqual(parse("script\nb\nend script\nexec a\n").processes.main, {
      script: false,
      command: "a",
      line: 4,
    });
  });
  for (const slot of ["pre-start", "post-start", "pre-stop", "post-stop"] as const) {
    await t.step(slot, () => {
      assert.deepEqual(parse(`\n${slot} exec a "b c"\n`).processes[slot], {
        script: false,
        command: 'a "b c"',
        line: 2,
      });
      assert.deepEqual(
        parse(`${slot} exec a\n${slot} script # c\n  x\nend script\n`).processes[slot],
        {
          script: true,
          command: "x\n",
          line: 2,
        },
      );
      assert.equal(parse(`${slot} exec a\n`).processes.main, undefined);
      assert.deepEqual(failure(`${slot}\n`), expected("EXPECTED_TOKEN", 1, slot.length + 1));
      assert.deepEqual(failure(`${slot} run x\n`), expected("UNKNOWN_STANZA", 1, slot.length + 2));
      assert.deepEqual(failure(`${slot} exec\n`), expected("EXPECTED_TOKEN", 1, slot.length + 6));
      assert.deepEqual(
        failure(`${slot} script x\n`),
        expected("UNEXPECTED_TOKEN", 1, slot.length + 9),
      );
    });
  }
  await t.step("errors", () => {
    assert.deepEqual(failure("exec\n"), expected("EXPECTED_TOKEN", 1, 5));
    assert.deepEqual(failure("exec # nothing\n"), expected("EXPECTED_TOKEN", 1, 6));
    assert.deepEqual(failure("script foo\n"), expected("UNEXPECTED_TOKEN", 1, 8));
    assert.deepEqual(failure("script\n  echo\n"), expected("UNTERMINATED_BLOCK", 3, 1));
  });
});

Deno.test("start on / stop on: last wins, errors at the second word", async (t) => {
  for (const [keyword, field] of [["start", "startOn"], ["stop", "stopOn"]] as const) {
    await t.step(keyword, () => {
      assert.equal(parse("")[field], null);
      assert.deepEqual(parse(`${keyword} on a\n${keyword} on b\n`)[field], ev("b"));
      assert.deepEqual(
        failure(`${keyword} foo\n`),
        expected("UNKNOWN_STANZA", 1, keyword.length + 2),
      );
      assert.deepEqual(
        failure(`${keyword} On x\n`),
        expected("UNKNOWN_STANZA", 1, keyword.length + 2),
      );
      assert.deepEqual(failure(`${keyword}\n`), expected("EXPECTED_TOKEN", 1, keyword.length + 1));
      assert.deepEqual(
        failure(`${keyword} on\n`),
        expected("EXPECTED_TOKEN", 1, keyword.length + 4),
      );
    });
  }
});

Deno.test("manual discards earlier start on and leaves the rest of the line alone", () => {
  const cleared = parse("start on a\nmanual\nstop on b\n");
  assert.deepEqual([cleared.manual, cleared.startOn, cleared.stopOn], [true, null, ev("b")]);
  const again = parse("manual\nstart on a\n");
  assert.deepEqual([again.manual, again.startOn], [true, ev("a")]);
  const both = parse("manual task\n");
  assert.deepEqual([both.manual, both.task], [true, true]);
  assert.equal(parse("manual # why\n").manual, true);
  assert.deepEqual(failure("manual foo\n"), expected("UNKNOWN_STANZA", 1, 8));
});

Deno.test("debug sets the flag and leaves the rest of the line alone", () => {
  assert.equal(parse("").debug, false);
  const job = parse("debug respawn\n");
  assert.deepEqual([job.debug, job.respawn], [true, true]);
  assert.deepEqual(failure("debug on\n"), expected("UNKNOWN_STANZA", 1, 7));
});

Deno.test("task and respawn are flags without arguments", () => {
  assert.deepEqual([parse("").task, parse("").respawn], [false, false]);
  assert.equal(parse("task\ntask # again\n").task, true);
  assert.equal(parse("respawn\nrespawn\n").respawn, true);
  assert.deepEqual(failure("task foo\n"), expected("UNEXPECTED_TOKEN", 1, 6));
  assert.deepEqual(failure("respawn foo\n"), expected("UNKNOWN_STANZA", 1, 9));
});

Deno.test("respawn limit sets count and interval without enabling respawn", () => {
  assert.deepEqual(parse("").respawnLimit, { count: 10, interval: 5 });
  const job = parse("respawn limit 3 60\n");
  assert.deepEqual([job.respawnLimit, job.respawn], [{ count: 3, interval: 60 }, false]);
  assert.deepEqual(parse("respawn limit 1 2\nrespawn limit unlimited\n").respawnLimit, {
    count: 0,
    interval: 0,
  });
  assert.deepEqual(failure("respawn limit unlimited 5\n"), expected("UNEXPECTED_TOKEN", 1, 25));
  assert.deepEqual(failure("respawn limit x 5\n"), expected("ILLEGAL_LIMIT", 1, 15));
  assert.deepEqual(failure("respawn limit -1 5\n"), expected("ILLEGAL_LIMIT", 1, 15));
  assert.deepEqual(failure("respawn limit 5 5s\n"), expected("ILLEGAL_INTERVAL", 1, 17));
  assert.deepEqual(failure("respawn limit 5 -1\n"), expected("ILLEGAL_INTERVAL", 1, 17));
  assert.deepEqual(failure("respawn limit\n"), expected("EXPECTED_TOKEN", 1, 14));
  assert.deepEqual(failure("respawn limit 5\n"), expected("EXPECTED_TOKEN", 1, 16));
});

Deno.test("normal exit accepts statuses and signal names, and appends", () => {
  assert.deepEqual(parse("").normalExit, []);
  assert.deepEqual(parse("normal exit 0 1 TERM\nnormal exit SIGHUP 256 SIGCLD\n").normalExit, [
    { kind: "status", value: 0 },
    { kind: "status", value: 1 },
    { kind: "signal", name: "TERM", signal: 15 },
    { kind: "signal", name: "HUP", signal: 1 },
    { kind: "status", value: 256 },
    { kind: "signal", name: "CHLD", signal: 17 },
  ]);
  assert.deepEqual(parse("normal exit 2147483647\n").normalExit, [{
    kind: "status",
    value: 2147483647,
  }]);
  assert.deepEqual(failure("normal exit 2147483648\n"), expected("ILLEGAL_EXIT", 1, 13));
  assert.deepEqual(failure("normal exit 0 term\n"), expected("ILLEGAL_EXIT", 1, 15));
  assert.deepEqual(failure("normal exit -1\n"), expected("ILLEGAL_EXIT", 1, 13));
  assert.deepEqual(failure("normal exit\n"), expected("EXPECTED_TOKEN", 1, 12));
  assert.deepEqual(failure("normal exits 0\n"), expected("UNKNOWN_STANZA", 1, 8));
});

Deno.test("kill signal / reload signal take a name or a number and report bad names with a line", async (t) => {
  for (
    const [keyword, field, dflt] of [["kill", "killSignal", 15], [
      "reload",
      "reloadSignal",
      1,
    ]] as const
  ) {
    await t.step(keyword, () => {
      assert.equal(parse("")[field], dflt);
      assert.equal(parse(`${keyword} signal INT\n`)[field], 2);
      assert.equal(parse(`${keyword} signal SIGUSR1\n`)[field], 10);
      assert.equal(parse(`${keyword} signal 40\n${keyword} signal KILL\n`)[field], 9);
      assert.equal(parse(`${keyword} signal 64\n`)[field], 64);
      const col = keyword.length + 9;
      assert.deepEqual(failure(`\n${keyword} signal term\n`), expected("ILLEGAL_SIGNAL", 2, col));
      assert.deepEqual(
        failure(`${keyword} signal 2147483648\n`),
        expected("ILLEGAL_SIGNAL", 1, col),
      );
      assert.deepEqual(failure(`${keyword} signal\n`), expected("EXPECTED_TOKEN", 1, col - 1));
      assert.deepEqual(
        failure(`${keyword} sig INT\n`),
        expected("UNKNOWN_STANZA", 1, keyword.length + 2),
      );
    });
  }
  assert.deepEqual(failure("reload timeout 5\n"), expected("UNKNOWN_STANZA", 1, 8));
});

Deno.test("kill timeout takes seconds ≥ 0", () => {
  assert.equal(parse("").killTimeout, 5);
  assert.equal(parse("kill timeout 60\n").killTimeout, 60);
  assert.equal(parse("kill timeout 1\nkill timeout 0\n").killTimeout, 0);
  assert.deepEqual(failure("kill timeout -1\n"), expected("ILLEGAL_INTERVAL", 1, 14));
  assert.deepEqual(failure("kill timeout 5s\n"), expected("ILLEGAL_INTERVAL", 1, 14));
  assert.deepEqual(failure("kill timeout 1 2\n"), expected("UNEXPECTED_TOKEN", 1, 16));
  assert.deepEqual(failure("kill foo 1\n"), expected("UNKNOWN_STANZA", 1, 6));
});

Deno.test("expect and console take one of their words", () => {
  assert.equal(parse("").expect, "none");
  for (const mode of ["stop", "fork", "daemon", "none"] as const) {
    assert.equal(parse(`expect fork\nexpect ${mode}\n`).expect, mode);
  }
  assert.deepEqual(failure("expect forks\n"), expected("UNKNOWN_STANZA", 1, 8));
  assert.equal(parse("").console, null);
  for (const mode of ["none", "log", "output", "owner"] as const) {
    assert.equal(parse(`console log\nconsole ${mode}\n`).console, mode);
  }
  assert.deepEqual(failure("console Log\n"), expected("UNKNOWN_STANZA", 1, 9));
  assert.deepEqual(failure("console output x\n"), expected("UNEXPECTED_TOKEN", 1, 16));
});

Deno.test("umask is octal and at most 0777", () => {
  assert.equal(parse("").umask, null);
  assert.equal(parse("umask 022\n").umask, 0o22);
  assert.equal(parse("umask 0022\n").umask, 0o22);
  assert.equal(parse("umask 27\n").umask, 0o27);
  assert.equal(parse("umask 0777\n").umask, 0o777);
  for (const bad of ["1000", "8", "-1", "0x1", "abc"]) {
    assert.deepEqual(failure(`umask ${bad}\n`), expected("ILLEGAL_UMASK", 1, 7), bad);
  }
});

Deno.test("nice is -20 to 19", () => {
  assert.equal(parse("").nice, null);
  assert.equal(parse("nice -20\n").nice, -20);
  assert.equal(parse("nice 19\n").nice, 19);
  assert.equal(parse("nice +5\n").nice, 5);
  for (const bad of ["20", "-21", "1.5", "x"]) {
    assert.deepEqual(failure(`nice ${bad}\n`), expected("ILLEGAL_NICE", 1, 6), bad);
  }
});

Deno.test("oom converts the legacy scale and oom score is taken as is; last wins", () => {
  assert.equal(parse("").oomScoreAdj, null);
  const legacy: [string, number][] = [["-17", -1000], ["-16", -941], ["0", 0], ["10", 666], [
    "15",
    1000,
  ]];
  for (const [adj, score] of legacy) assert.equal(parse(`oom ${adj}\n`).oomScoreAdj, score, adj);
  assert.equal(parse("oom never\n").oomScoreAdj, -1000);
  assert.equal(parse("oom score 1000\n").oomScoreAdj, 1000);
  assert.equal(parse("oom score -1000\n").oomScoreAdj, -1000);
  assert.equal(parse("oom score never\n").oomScoreAdj, -1000);
  assert.equal(parse("oom score 5\noom 3\n").oomScoreAdj, 200);
  assert.equal(parse("oom 3\noom score 5\n").oomScoreAdj, 5);
  assert.deepEqual(failure("oom 16\n"), expected("ILLEGAL_OOM", 1, 5));
  assert.deepEqual(failure("oom -18\n"), expected("ILLEGAL_OOM", 1, 5));
  assert.deepEqual(failure("oom score 1001\n"), {
    ...expected("ILLEGAL_OOM", 1, 11),
    message: OOM_SCORE_MESSAGE,
  });
  assert.deepEqual(failure("oom score\n"), expected("EXPECTED_TOKEN", 1, 10));
});

Deno.test("limit sets soft and hard per resource; last wins per resource", () => {
  assert.deepEqual(parse("").limits, {});
  const job = parse("limit nofile 1024 4096\nlimit core unlimited unlimited\nlimit nofile 1 2\n");
  assert.deepEqual(job.limits, { nofile: [1, 2], core: ["unlimited", "unlimited"] });
  for (const resource of LIMIT_RESOURCES) {
    assert.deepEqual(parse(`limit "${resource}" 0 1\n`).limits, { [resource]: [0, 1] });
  }
  assert.deepEqual(failure("limit locks 1 2\n"), expected("UNKNOWN_STANZA", 1, 7));
  assert.deepEqual(failure("limit rttime 1 2\n"), expected("UNKNOWN_STANZA", 1, 7));
  assert.deepEqual(failure("limit nofile 1\n"), expected("EXPECTED_TOKEN", 1, 15));
  assert.deepEqual(failure("limit nofile x 2\n"), expected("ILLEGAL_LIMIT", 1, 14));
  assert.deepEqual(failure("limit nofile 1 2k\n"), expected("ILLEGAL_LIMIT", 1, 16));
  assert.deepEqual(failure("limit nofile 1 2 3\n"), expected("UNEXPECTED_TOKEN", 1, 18));
});

Deno.test("apparmor load and switch", () => {
  const job = parse("apparmor load /etc/apparmor.d/x\napparmor switch /usr/bin/x\n");
  assert.deepEqual([job.apparmorLoad, job.apparmorSwitch], ["/etc/apparmor.d/x", "/usr/bin/x"]);
  assert.deepEqual([parse("").apparmorLoad, parse("").apparmorSwitch], [null, null]);
  assert.deepEqual(failure("apparmor unload x\n"), expected("UNKNOWN_STANZA", 1, 10));
  assert.deepEqual(failure("apparmor load\n"), expected("EXPECTED_TOKEN", 1, 14));
});

Deno.test("cgroup takes 1 to 4 arguments and merges per controller and name", () => {
  const job = parse(
    "cgroup cpu\ncgroup memory limit 1G\ncgroup memory limit 2G\ncgroup memory swap 0\n" +
      'cgroup cpu mine\ncgroup cpu mine shares 10\ncgroup memory "$UPSTART_CGROUP" limit 3G\n',
  );
  assert.deepEqual(job.cgroups, [
    { controller: "cpu", name: "$UPSTART_CGROUP", settings: [] },
    { controller: "memory", name: "$UPSTART_CGROUP", settings: [["limit", "3G"], ["swap", "0"]] },
    { controller: "cpu", name: "mine", settings: [["shares", "10"]] },
  ]);
  assert.deepEqual(parse("").cgroups, []);
  assert.deepEqual(failure("cgroup cpu a b c d\n"), expected("UNEXPECTED_TOKEN", 1, 18));
  assert.deepEqual(failure("cgroup\n"), expected("EXPECTED_TOKEN", 1, 7));
});

Deno.test("parseSignal() knows the docs/job-files.md#signal-names names with or without SIG, case-sensitively", () => {
  const table: [string, number][] = [
    ["HUP", 1],
    ["INT", 2],
    ["QUIT", 3],
    ["ILL", 4],
    ["TRAP", 5],
    ["ABRT", 6],
    ["IOT", 6],
    ["BUS", 7],
    ["FPE", 8],
    ["KILL", 9],
    ["USR1", 10],
    ["SEGV", 11],
    ["USR2", 12],
    ["PIPE", 13],
    ["ALRM", 14],
    ["TERM", 15],
    ["STKFLT", 16],
    ["CHLD", 17],
    ["CLD", 17],
    ["CONT", 18],
    ["STOP", 19],
    ["TSTP", 20],
    ["TTIN", 21],
    ["TTOU", 22],
    ["URG", 23],
    ["XCPU", 24],
    ["XFSZ", 25],
    ["VTALRM", 26],
    ["PROF", 27],
    ["WINCH", 28],
    ["IO", 29],
    ["POLL", 29],
    ["PWR", 30],
    ["SYS", 31],
  ];
  for (const [name, num] of table) {
    assert.equal(parseSignal(name), num, name);
    assert.equal(parseSignal(`SIG${name}`), num, `SIG${name}`);
  }
  for (const bad of ["term", "SIGterm", "SIG", "15", "", "SIGSIGTERM", "RTMIN"]) {
    assert.equal(parseSignal(bad), null, bad);
  }
});

Deno.test("signalName() reports the first name in the table for a number", () => {
  assert.equal(signalName(6), "ABRT");
  assert.equal(signalName(17), "CHLD");
  assert.equal(signalName(29), "IO");
  assert.equal(signalName(31), "SYS");
  assert.equal(signalName(15), "TERM");
  assert.equal(signalName(0), null);
  assert.equal(signalName(64), null);
});
