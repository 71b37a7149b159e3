import assert from "node:assert/strict";
import { parseGroup, parsePasswd, readAccountFiles } from "./accounts.ts";

const PASSWD = [
  "root:x:0:0:root:/root:/bin/bash",
  "# a comment",
  "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
  "broken line",
  "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin",
  "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
  "",
].join("\n");

const GROUP = [
  "root:x:0:",
  "adm:x:4:syslog,www-data",
  "www-data:x:33:",
  "video:x:44:www-data,root",
  "nogroup:x:65534:",
].join("\n");

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
