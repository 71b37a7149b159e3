import assert from "node:assert/strict";
import {
  parseSessionAddress,
  parseSessionFileName,
  SESSION_DIR_RELATIVE,
  sessionAddress,
  sessionDirectory,
  sessionFileContent,
  sessionFileName,
  SYSTEM_SOCKET,
} from "./addresses.ts";

Deno.test("SYSTEM_SOCKET and SESSION_DIR_RELATIVE have the documented values", () => {
  assert.equal(SYSTEM_SOCKET, "/run/daybreak/initctl.sock");
  assert.equal(SESSION_DIR_RELATIVE, "upstart/sessions");
});

Deno.test("sessionFileContent() writes one UPSTART_SESSION line", () => {
  assert.equal(
    sessionFileContent("/run/user/1000/daybreak/initctl.sock"),
    "UPSTART_SESSION=unix:path=/run/user/1000/daybreak/initctl.sock\n",
  );
});

Deno.test("sessionAddress() escapes bytes outside the D-Bus safe set", () => {
  assert.equal(sessionAddress("/tmp/a b,c=é.sock"), "unix:path=/tmp/a%20b%2Cc%3D%C3%A9.sock");
  assert.equal(sessionAddress("/x/-_.*\\"), "unix:path=/x/-_.*\\");
});

Deno.test("parseSessionAddress() reads back what sessionFileContent() writes", async (t) => {
  for (const path of ["/run/user/1000/d.sock", "/tmp/a b,c=é.sock", "/x/%41"]) {
    await t.step(path, () => {
      assert.equal(parseSessionAddress(sessionFileContent(path)), path);
      assert.equal(parseSessionAddress(sessionAddress(path)), path);
    });
  }
});

Deno.test("parseSessionAddress() accepts a bare absolute path and extra address keys", () => {
  assert.equal(parseSessionAddress("/run/d.sock"), "/run/d.sock");
  assert.equal(parseSessionAddress("  /run/d.sock \n"), "/run/d.sock");
  assert.equal(parseSessionAddress("unix:guid=abc,path=/run/d.sock"), "/run/d.sock");
  assert.equal(
    parseSessionAddress("UPSTART_SESSION=unix:path=/a\nUPSTART_SESSION=unix:path=/b"),
    "/a",
  );
});

Deno.test("parseSessionAddress() rejects what names no socket file", () => {
  assert.equal(parseSessionAddress("unix:abstract=/com/ubuntu/upstart-session/1000/42"), null);
  assert.equal(parseSessionAddress("unix:path=relative.sock"), null);
  assert.equal(parseSessionAddress("relative.sock"), null);
  assert.equal(parseSessionAddress("tcp:host=localhost,port=1"), null);
  assert.equal(parseSessionAddress("unix:path=/bad%zz"), null);
  assert.equal(parseSessionAddress(""), null);
});

Deno.test("sessionFileName() and parseSessionFileName() agree", () => {
  assert.equal(sessionFileName(4242), "4242.session");
  assert.equal(parseSessionFileName("4242.session"), 4242);
  assert.equal(parseSessionFileName("0.session"), null);
  assert.equal(parseSessionFileName("x.session"), null);
  assert.equal(parseSessionFileName("42.session.tmp"), null);
});

Deno.test("sessionDirectory() prefers XDG_RUNTIME_DIR, then /run/user/UID", () => {
  assert.equal(sessionDirectory("/run/user/7/", 7), "/run/user/7/upstart/sessions");
  assert.equal(sessionDirectory("/xdg", null), "/xdg/upstart/sessions");
  assert.equal(sessionDirectory(undefined, 1000), "/run/user/1000/upstart/sessions");
  assert.equal(sessionDirectory("relative", 5), "/run/user/5/upstart/sessions");
  assert.equal(sessionDirectory(undefined, null), null);
});
