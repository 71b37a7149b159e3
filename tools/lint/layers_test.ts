import assert from "node:assert/strict";
import plugin from "./layers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The rule ids `deno lint` would report for `source` as the file at repository path `path`. */
function lint(path: string, source: string): string[] {
  return Deno.lint.runPlugin(plugin, `${ROOT}${path}`, source).map((d) => d.id);
}

const DLOPEN = `export const lib = Deno.dlopen("libc.so.6", {});\n`;

Deno.test("only-sys-dlopen: Deno.dlopen is refused outside sys/, allowed inside", () => {
  assert.deepEqual(lint("daemon/supervisor/x.ts", DLOPEN), ["layers/only-sys-dlopen"]);
  assert.deepEqual(lint("bench/peers/x.ts", `const l = Deno["dlopen"]("c", {});\n`), [
    "layers/only-sys-dlopen",
  ]);
  assert.deepEqual(lint("security/x.ts", `globalThis.Deno.dlopen("c", {});\n`), [
    "layers/only-sys-dlopen",
  ]);
  assert.deepEqual(lint("sys/libc.ts", DLOPEN), []);
  assert.deepEqual(lint("tests/vm/x_test.ts", `const probe = "Deno.dlopen('libc.so.6')";\n`), []);
});

Deno.test("no-deno-in-pure: no Deno.* in parser/ or daemon/engine/, except their tests", () => {
  const reads = `export const text = Deno.readTextFileSync("/etc/init/x.conf");\n`;
  assert.deepEqual(lint("parser/x.ts", reads), ["layers/no-deno-in-pure"]);
  assert.deepEqual(lint("daemon/engine/x.ts", `export const pid = Deno.pid;\n`), [
    "layers/no-deno-in-pure",
  ]);
  assert.deepEqual(lint("daemon/engine/x.ts", `export type C = Deno.Command;\n`), [
    "layers/no-deno-in-pure",
  ]);
  assert.deepEqual(lint("parser/x_test.ts", `Deno.test("t", () => {});\n`), []);
  assert.deepEqual(lint("daemon/supervisor/x.ts", reads), [], "the supervisor may");
  assert.deepEqual(lint("parser/x.ts", `export const denoLike = { pid: 1 };\n`), []);
});

Deno.test("client-imports: cli/ and compat_sysv/ import only protocol/, parser/, sys/ and each other", () => {
  const bad = `import { x } from "../daemon/rpc/server.ts";\n`;
  assert.deepEqual(lint("cli/x.ts", bad), ["layers/client-imports"]);
  assert.deepEqual(lint("compat_sysv/x.ts", `export * from "../daemon/engine/engine.ts";\n`), [
    "layers/client-imports",
  ]);
  assert.deepEqual(lint("cli/commands/x.ts", `const m = await import("../../security/a.ts");\n`), [
    "layers/client-imports",
  ]);
  assert.deepEqual(lint("cli/x.ts", `import { y } from "jsr:@std/path";\n`), [
    "layers/client-imports",
  ]);
  const good = [
    `import { a } from "../protocol/client.ts";`,
    `import { b } from "../parser/types.ts";`,
    `import { c } from "./commands/d.ts";`,
    `import { u } from "../sys/utmp.ts";`,
    `import { z } from "zod";`,
    `import { e } from "npm:json-rpc-2.0@1.8.1";`,
    `import { posix } from "node:path";`,
    `const v = await import("../deno.json", { with: { type: "json" } });`,
  ].join("\n");
  assert.deepEqual(lint("cli/x.ts", good), []);
  assert.deepEqual(lint("compat_sysv/x.ts", good.replace("./commands/d.ts", "./rc.ts")), []);
  assert.deepEqual(lint("cli/telinit.ts", `import { t } from "../compat_sysv/telinit.ts";\n`), []);
  const helper = `import { h } from "../tests/helpers/xml.ts";\n`;
  assert.deepEqual(lint("cli/x_test.ts", helper), [], "a client's tests use the test helpers");
  assert.deepEqual(lint("cli/x.ts", helper), ["layers/client-imports"]);
  assert.deepEqual(lint("daemon/x.ts", bad.replace("../daemon/", "./")), [], "not a client");
});

Deno.test("no-upward-imports: sys/ and security/ never import from daemon/", () => {
  const ports = `import type { SpawnRequest } from "../daemon/ports.ts";\n`;
  assert.deepEqual(lint("security/x.ts", ports), ["layers/no-upward-imports"]);
  assert.deepEqual(lint("sys/x.ts", ports), ["layers/no-upward-imports"]);
  assert.deepEqual(lint("sys/x.ts", `export { a } from "../security/sandbox.ts";\n`), [
    "layers/no-upward-imports",
  ]);
  const down = [
    `import { readText } from "../sys/libc.ts";`,
    `import type { SandboxSpec } from "../parser/extension_stanzas.ts";`,
    `import { SpawnError } from "./spawn_error.ts";`,
  ].join("\n");
  assert.deepEqual(lint("security/x.ts", down), []);
  assert.deepEqual(lint("daemon/x.ts", `import { a } from "../security/sandbox.ts";\n`), []);
});

Deno.test("files outside the repository are left alone: their layer is unknown", () => {
  assert.deepEqual(Deno.lint.runPlugin(plugin, "/elsewhere/cli/x.ts", DLOPEN), []);
  const up = `import { a } from "../daemon/ports.ts";\n`;
  assert.deepEqual(Deno.lint.runPlugin(plugin, "/elsewhere/sys/x.ts", up), []);
});
