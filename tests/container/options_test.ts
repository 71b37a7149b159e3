import assert from "node:assert/strict";
import {
  DEFAULT_GRACE_PERIOD,
  InitUsageError,
  isContainerMode,
  parseContainerOptions,
} from "../../daemon/options.ts";
import { exitCodeOf, mainEnvironment } from "../../daemon/modes/container.ts";

Deno.test("isContainerMode: --container before `--` only", () => {
  assert.equal(isContainerMode(["--container", "--", "sh"]), true);
  assert.equal(isContainerMode(["--confdir", "x", "--container", "sh"]), true);
  assert.equal(isContainerMode(["--user"]), false);
  assert.equal(isContainerMode(["--", "--container"]), false);
});

Deno.test("parseContainerOptions: options, then the command", () => {
  const o = parseContainerOptions([
    "--container",
    "--confdir",
    "/a",
    "--confdir=/b",
    "--grace-period",
    "2.5",
    "--socket=/s",
    "-v",
    "--",
    "app",
    "--flag",
  ]);
  assert.deepEqual(o.confdirs, ["/a", "/b"]);
  assert.equal(o.gracePeriod, 2.5);
  assert.equal(o.socket, "/s");
  assert.equal(o.logPriority, "info");
  assert.deepEqual(o.command, ["app", "--flag"]);
  const bare = parseContainerOptions(["--container", "app", "--grace-period", "x"]);
  assert.equal(bare.gracePeriod, DEFAULT_GRACE_PERIOD);
  assert.deepEqual(bare.command, ["app", "--grace-period", "x"]);
  assert.equal(bare.help, false);
  assert.equal(parseContainerOptions(["--container", "--help"]).help, true);
});

Deno.test("parseContainerOptions rejects unknown options, bad values, no command", () => {
  for (
    const argv of [
      ["--container", "--nope", "--", "app"],
      ["--container", "--grace-period", "soon", "app"],
      ["--container", "--confdir"],
      ["--container", "--"],
      ["--container"],
      ["--container", "--user", "app"],
    ]
  ) {
    assert.throws(() => parseContainerOptions(argv), InitUsageError, argv.join(" "));
  }
});

Deno.test("exitCodeOf: the code, or 128+N for signal N", () => {
  assert.equal(exitCodeOf({ code: 0 }), 0);
  assert.equal(exitCodeOf({ code: 255 }), 255);
  assert.equal(exitCodeOf({ signal: 15 }), 143);
  assert.equal(exitCodeOf({ signal: 9 }), 137);
});

Deno.test("mainEnvironment undoes the launcher's variables and restores overridden ones", () => {
  const env = mainEnvironment({
    A: "1",
    DENO_DIR: "/x",
    RUST_BACKTRACE: "0",
    DAYBREAK_ROOT: "/r",
    DAYBREAK_CONTAINER_SAVED_ENV: "RUST_BACKTRACE=1\n",
    DAYBREAK_CONTAINER_SIGIGN: "0",
  });
  assert.deepEqual(env.sort(), ["A=1", "RUST_BACKTRACE=1"]);
  // Without the launcher (daemon/main.ts run directly) nothing is removed.
  assert.deepEqual(mainEnvironment({ DENO_DIR: "/x" }), ["DENO_DIR=/x"]);
});
