import assert from "node:assert/strict";
import { CAPABILITIES, capabilityName, capabilityNumber } from "./capabilities.ts";
import { JOB_SYNTAX_MESSAGES } from "./errors.ts";
import { EXTENSION_STANZAS, isExtensionStanza } from "./extension_stanzas.ts";
import { jobClassFields } from "./fields.ts";
import { applyOverride, parseJobConfig } from "./parse_job.ts";
import { lookupStanza, STANZAS } from "./stanzas.ts";
import type { JobClassSpec } from "./types.ts";
import { expected, parseFailure as failure } from "./_test_failure.ts";

function parse(text: string): JobClassSpec {
  return parseJobConfig(text, { name: "test" });
}

Deno.test("EXTENSION_STANZAS holds daybreak's nine keywords, none of them Upstart's", () => {
  assert.deepEqual(Object.keys(EXTENSION_STANZAS).sort(), [
    "capabilities",
    "delegate",
    "hostname",
    "no-new-privileges",
    "private-network",
    "private-tmp",
    "protect-system",
    "read-only-paths",
    "read-write-paths",
  ]);
  for (const keyword of Object.keys(EXTENSION_STANZAS)) {
    assert.equal(Object.hasOwn(STANZAS, keyword), false, keyword);
    assert.equal(isExtensionStanza(keyword), true, keyword);
    assert.equal(typeof lookupStanza(keyword), "function", keyword);
  }
  for (const name of ["exec", "Hostname", "constructor", "__proto__", ""]) {
    assert.equal(isExtensionStanza(name), false, name);
  }
});

Deno.test("flag stanzas set their field and take no argument", async (t) => {
  const flags = {
    "no-new-privileges": "noNewPrivileges",
    "private-tmp": "privateTmp",
    "protect-system": "protectSystem",
    "private-network": "privateNetwork",
  } as const;
  for (const [keyword, field] of Object.entries(flags)) {
    await t.step(keyword, () => {
      assert.equal(parse("")[field], false);
      assert.equal(parse(`${keyword}\n`)[field], true);
      assert.equal(parse(`${keyword} # why\n${keyword}\n`)[field], true);
      assert.deepEqual(
        failure(`${keyword} yes\n`),
        expected("UNEXPECTED_TOKEN", 1, keyword.length + 2),
      );
    });
  }
});

Deno.test("capabilities accepts names with or without cap_, in any case, stored in kernel order", () => {
  assert.equal(parse("").capabilities, null);
  assert.deepEqual(
    parse("capabilities cap_net_raw NET_BIND_SERVICE chown net_raw\n").capabilities,
    ["chown", "net_bind_service", "net_raw"],
  );
  assert.deepEqual(parse("capabilities none\n").capabilities, []);
  // Last wins, as for single-valued stanzas.
  assert.deepEqual(parse("capabilities kill\ncapabilities none\n").capabilities, []);
  assert.deepEqual(parse("capabilities none\ncapabilities CAP_KILL\n").capabilities, ["kill"]);
});

Deno.test("capabilities reports an unknown name or a misplaced none at that word", () => {
  assert.deepEqual(failure("capabilities net_frob\n"), expected("ILLEGAL_CAPABILITY", 1, 14));
  assert.deepEqual(failure("capabilities kill cap_\n"), expected("ILLEGAL_CAPABILITY", 1, 19));
  assert.deepEqual(failure("capabilities kill none\n"), expected("ILLEGAL_CAPABILITY", 1, 19));
  assert.deepEqual(failure("capabilities none kill\n"), expected("ILLEGAL_CAPABILITY", 1, 19));
  assert.deepEqual(failure("capabilities NONE\n"), expected("ILLEGAL_CAPABILITY", 1, 14));
  assert.deepEqual(failure("capabilities\n"), expected("EXPECTED_TOKEN", 1, 13));
  assert.equal(JOB_SYNTAX_MESSAGES.ILLEGAL_CAPABILITY, "Illegal capability name");
});

Deno.test("capabilityName() and capabilityNumber() agree with the kernel's numbering", () => {
  assert.equal(CAPABILITIES.length, 41);
  assert.equal(capabilityNumber("chown"), 0);
  assert.equal(capabilityNumber("net_bind_service"), 10);
  assert.equal(capabilityNumber("sys_resource"), 24);
  assert.equal(capabilityNumber("checkpoint_restore"), 40);
  assert.equal(capabilityNumber("nope"), -1);
  assert.equal(capabilityName("Cap_Sys_Admin"), "sys_admin");
  for (const bad of ["", "cap_", "all", "constructor", "__proto__"]) {
    assert.equal(capabilityName(bad), null, bad);
  }
});

Deno.test("read-write-paths and read-only-paths accumulate absolute paths", () => {
  const job = parse(
    "read-write-paths /var/lib/app '/srv/with space'\nread-only-paths /etc\n" +
      "read-write-paths /run/app\n",
  );
  assert.deepEqual(job.readWritePaths, ["/var/lib/app", "/srv/with space", "/run/app"]);
  assert.deepEqual(job.readOnlyPaths, ["/etc"]);
  assert.deepEqual(failure("read-write-paths /ok relative\n"), expected("ILLEGAL_PATH", 1, 22));
  assert.deepEqual(failure("read-only-paths ~/x\n"), expected("ILLEGAL_PATH", 1, 17));
  assert.deepEqual(failure("read-only-paths\n"), expected("EXPECTED_TOKEN", 1, 16));
});

Deno.test("hostname takes one valid host name; last wins", () => {
  assert.equal(parse("").hostname, null);
  assert.equal(parse("hostname jobbox\nhostname web-1.example\n").hostname, "web-1.example");
  assert.equal(parse(`hostname ${"a".repeat(64)}\n`).hostname, "a".repeat(64));
  assert.deepEqual(failure(`hostname ${"a".repeat(65)}\n`), expected("ILLEGAL_HOSTNAME", 1, 10));
  assert.deepEqual(failure("hostname -x\n"), expected("ILLEGAL_HOSTNAME", 1, 10));
  assert.deepEqual(failure("hostname a_b\n"), expected("ILLEGAL_HOSTNAME", 1, 10));
  assert.deepEqual(failure("hostname a b\n"), expected("UNEXPECTED_TOKEN", 1, 12));
  assert.deepEqual(failure("hostname\n"), expected("EXPECTED_TOKEN", 1, 9));
});

Deno.test("delegate takes a comma list of actions or all, then users and @groups; accumulates", () => {
  const job = parse(
    "delegate start,stop alice @ops\ndelegate all bob\ndelegate reload,start,reload @web\n",
  );
  assert.deepEqual(job.delegates, [
    { actions: ["start", "stop"], users: ["alice"], groups: ["ops"] },
    { actions: ["start", "stop", "restart", "reload"], users: ["bob"], groups: [] },
    { actions: ["start", "reload"], users: [], groups: ["web"] },
  ]);
  assert.deepEqual(parse("").delegates, []);
  assert.deepEqual(failure("delegate kill alice\n"), expected("ILLEGAL_ACTION", 1, 10));
  assert.deepEqual(failure("delegate start,,stop alice\n"), expected("ILLEGAL_ACTION", 1, 10));
  assert.deepEqual(failure("delegate Start alice\n"), expected("ILLEGAL_ACTION", 1, 10));
  assert.deepEqual(failure("delegate start\n"), expected("EXPECTED_TOKEN", 1, 15));
  assert.deepEqual(failure("delegate\n"), expected("EXPECTED_TOKEN", 1, 9));
  assert.deepEqual(failure("delegate stop alice @\n"), expected("ILLEGAL_NAME", 1, 21));
  assert.deepEqual(failure("delegate stop a:b\n"), expected("ILLEGAL_NAME", 1, 15));
  assert.deepEqual(failure("delegate stop @@x\n"), expected("ILLEGAL_NAME", 1, 15));
});

Deno.test("an override adds to the lists and replaces single values, leaving the base alone", () => {
  const base = parse(
    "read-only-paths /etc\ndelegate stop alice\nhostname one\ncapabilities kill\n",
  );
  const over = applyOverride(base, "read-only-paths /usr\ndelegate start bob\nhostname two\n", {
    file: "/etc/init/test.override",
  });
  assert.deepEqual(over.readOnlyPaths, ["/etc", "/usr"]);
  assert.deepEqual(over.delegates.map((d) => d.users), [["alice"], ["bob"]]);
  assert.equal(over.hostname, "two");
  assert.deepEqual(over.capabilities, ["kill"]);
  assert.deepEqual(base.readOnlyPaths, ["/etc"]);
  assert.equal(base.delegates.length, 1);
});

Deno.test("parseJobConfig() reports every stanza's keyword position to onStanza", () => {
  const seen: [string, number, number][] = [];
  parseJobConfig("exec x\n  private-tmp\n\thostname \\\n  h\ndelegate all a\n", {
    name: "t",
    onStanza: (keyword, line, column) => seen.push([keyword, line, column]),
  });
  assert.deepEqual(seen, [
    ["exec", 1, 1],
    ["private-tmp", 2, 3],
    ["hostname", 3, 2],
    ["delegate", 5, 1],
  ]);
});

Deno.test("jobClassFields() shows the extension stanzas under their JSON names", () => {
  const spec = parse(
    "no-new-privileges\ncapabilities net_raw\nprivate-tmp\nprotect-system\n" +
      "read-write-paths /var/lib/x\nread-only-paths /etc\nprivate-network\nhostname box\n" +
      "delegate start,stop alice @ops\n",
  );
  assert.deepEqual(jobClassFields(spec), {
    no_new_privileges: true,
    capabilities: ["net_raw"],
    private_tmp: true,
    protect_system: true,
    read_write_paths: ["/var/lib/x"],
    read_only_paths: ["/etc"],
    private_network: true,
    hostname: "box",
    delegates: [{ actions: ["start", "stop"], users: ["alice"], groups: ["ops"] }],
  });
  assert.deepEqual(jobClassFields(parse("capabilities none\n")), { capabilities: [] });
  assert.deepEqual(jobClassFields(parse("")), {});
});
