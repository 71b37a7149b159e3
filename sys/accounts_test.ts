import assert from "node:assert/strict";
import { parseGroup, parsePasswd, readAccountFiles } from "./accounts.ts";
import { GROUP, PASSWD } from "../tests/fakes/account_files.ts";

Deno.test("parsePasswd() and parseGroup() skip comments and malformed lines", () => {
  assert.deepEqual(parsePasswd(PASSWD).map((u) => u.name), [
    "root",
    "daemon",
    "www-data",
    "nobody",
  ]);
  assert.deepEqual(parseGroup(GROUP).find((g) => g.name === "adm"), {
    name: "adm",
    gid: 4,
    members: ["syslog", "www-data"],
  });
});

Deno.test("readAccountFiles() reads the files under a root, empty when missing", () => {
  const root = Deno.makeTempDirSync();
  try {
    assert.deepEqual(readAccountFiles(root), { passwd: "", group: "" });
    Deno.mkdirSync(`${root}/etc`);
    Deno.writeTextFileSync(`${root}/etc/passwd`, PASSWD);
    assert.deepEqual(readAccountFiles(root), { passwd: PASSWD, group: "" });
    assert.ok(parsePasswd(readAccountFiles(null).passwd).some((u) => u.uid === 0));
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
