import assert from "node:assert/strict";
import { SpawnError } from "./spawn_error.ts";
import { NO_CREDENTIALS, resolveCredentials } from "./credentials.ts";
import { GROUP, PASSWD } from "../tests/fakes/account_files.ts";

const ROOT = { euid: 0, egid: 0 };

Deno.test("resolveCredentials() uses the user's primary group and initgroups as root", () => {
  const c = resolveCredentials({ setuid: "www-data", setgid: null }, {
    passwd: PASSWD,
    group: GROUP,
  }, ROOT);
  assert.deepEqual(c, { uid: 33, gid: 33, groups: [33, 4, 44] });
});

Deno.test("resolveCredentials() lets setgid override the primary group", () => {
  const c = resolveCredentials({ setuid: "www-data", setgid: "video" }, {
    passwd: PASSWD,
    group: GROUP,
  }, ROOT);
  assert.deepEqual(c, { uid: 33, gid: 44, groups: [44, 4] });
});

Deno.test("resolveCredentials() with only setgid keeps the daemon user's memberships", () => {
  const c = resolveCredentials({ setuid: null, setgid: "adm" }, {
    passwd: PASSWD,
    group: GROUP,
  }, ROOT);
  assert.deepEqual(c, { uid: null, gid: 4, groups: [4, 44] });
});

Deno.test("resolveCredentials() leaves groups alone when the daemon is not root", () => {
  const c = resolveCredentials({ setuid: "nobody", setgid: null }, {
    passwd: PASSWD,
    group: GROUP,
  }, { euid: 1000, egid: 1000 });
  assert.deepEqual(c, { uid: 65534, gid: 65534, groups: null });
});

Deno.test("resolveCredentials() fails with Upstart's texts for unknown names", () => {
  const files = { passwd: PASSWD, group: GROUP };
  assert.throws(
    () => resolveCredentials({ setuid: "nosuchuser", setgid: null }, files, ROOT),
    (e) => e instanceof SpawnError && e.reason === "unable to find setuid user",
  );
  assert.throws(
    () => resolveCredentials({ setuid: "nobody", setgid: "nosuchgroup" }, files, ROOT),
    (e) => e instanceof SpawnError && e.reason === "unable to find setgid group",
  );
  assert.equal(resolveCredentials({ setuid: null, setgid: null }, files, ROOT), NO_CREDENTIALS);
});
