import assert from "node:assert/strict";
import { chooseModeKind } from "./main.ts";
import { parseInitOptions } from "./options.ts";

Deno.test("chooseModeKind: PID 1 → system; --user → user; --system; root otherwise → telinit", () => {
  const kind = (argv: string[], pid: number, euid: number) =>
    chooseModeKind(parseInitOptions(argv), { pid, euid });
  assert.equal(kind([], 1, 0), "system");
  assert.equal(kind(["--user"], 1, 0), "user", "a user session may be a namespace's PID 1");
  assert.equal(kind(["--user"], 400, 1000), "user");
  assert.equal(kind(["--system"], 400, 0), "system");
  assert.equal(kind(["2"], 400, 0), "telinit", "`init 2` from a shell acts as `telinit 2`");
  assert.equal(kind([], 400, 1000), "need-root");
  assert.equal(kind(["--system"], 400, 1000), "need-root");
});
