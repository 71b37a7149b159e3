import assert from "node:assert/strict";
import { JobSyntaxError } from "./errors.ts";
import { FILTER_STANZAS, isExtensionStanza } from "./extension_stanzas.ts";
import { jobClassFields } from "./fields.ts";
import { parseJobConfig } from "./parse_job.ts";
import { lookupStanza, STANZAS } from "./stanzas.ts";
import { expected, parseFailure as failure } from "./_test_failure.ts";

const parse = (text: string) => parseJobConfig(text, { name: "test" });

Deno.test("seccomp is a daybreak extension stanza, not Upstart's", () => {
  assert.deepEqual(Object.keys(FILTER_STANZAS), ["seccomp"]);
  assert.equal(isExtensionStanza("seccomp"), true);
  assert.equal(Object.hasOwn(STANZAS, "seccomp"), false);
  assert.equal(typeof lookupStanza("seccomp"), "function");
});

Deno.test("seccomp stanzas accumulate default, deny and allow", () => {
  assert.equal(parse("exec true\n").seccomp, undefined);
  assert.deepEqual(parse("seccomp default\n").seccomp, { default: true, deny: [], allow: [] });
  assert.deepEqual(
    parse(
      "seccomp deny unshare\nseccomp default # comment\nseccomp allow ptrace mount\n" +
        "seccomp deny keyctl\n",
    ).seccomp,
    { default: true, deny: ["unshare", "keyctl"], allow: ["ptrace", "mount"] },
  );
  assert.deepEqual(jobClassFields(parse("seccomp deny mount\n")), {
    seccomp: { default: false, deny: ["mount"], allow: [] },
  });
});

Deno.test("seccomp errors name the line and column", () => {
  assert.deepEqual(failure("seccomp\n"), expected("EXPECTED_TOKEN", 1, 8));
  assert.deepEqual(failure("seccomp strict\n"), expected("ILLEGAL_SECCOMP", 1, 9));
  assert.deepEqual(failure("exec true\nseccomp deny\n"), expected("EXPECTED_TOKEN", 2, 13));
  assert.deepEqual(failure("seccomp deny mount Reboot\n"), expected("ILLEGAL_SYSCALL", 1, 20));
  assert.deepEqual(failure("seccomp allow 1x\n"), expected("ILLEGAL_SYSCALL", 1, 15));
  assert.deepEqual(failure("seccomp default mount\n"), expected("UNEXPECTED_TOKEN", 1, 17));
  const e = (() => {
    try {
      parseJobConfig("\n\nseccomp deny -x\n", { name: "j", file: "/etc/init/j.conf" });
    } catch (e) {
      return e;
    }
  })();
  assert.ok(e instanceof JobSyntaxError);
  assert.equal(e.format(), "/etc/init/j.conf:3:14: Illegal system call name");
});
