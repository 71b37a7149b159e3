import assert from "node:assert/strict";
import { ConnectionError, RpcError } from "../protocol/client.ts";
import { CommandError, errorText, helpHint, reportError, UsageError } from "./exit.ts";
import { RecordingOutput } from "./io.ts";

Deno.test("errorText() prefixes the program name", () => {
  assert.equal(errorText("stop", "Unknown instance: "), "stop: Unknown instance: \n");
});

Deno.test("errorText() leaves out the space when the first word ends with a colon", () => {
  assert.equal(
    errorText("runlevel", "/var/run/utmp: No such file or directory"),
    "runlevel:/var/run/utmp: No such file or directory\n",
  );
});

Deno.test("reportError() prints usage errors with the help hint and returns 1", () => {
  const io = new RecordingOutput();
  assert.equal(reportError(new UsageError("missing job name"), "start", io), 1);
  assert.equal(io.stderr, "start: missing job name\nTry `start --help' for more information.\n");
  assert.equal(io.stdout, "");
  assert.equal(helpHint("initctl"), "Try `initctl --help' for more information.\n");
});

Deno.test("reportError() prints daemon messages exactly, newlines kept", () => {
  const io = new RecordingOutput();
  const status = reportError(
    new RpcError(-32009, "Unknown parameter: NAME\nUsage: inst NAME=x"),
    "initctl",
    io,
  );
  assert.equal(status, 1);
  assert.equal(io.stderr, "initctl: Unknown parameter: NAME\nUsage: inst NAME=x\n");
});

Deno.test("reportError() prints command and connection errors without a hint", () => {
  const io = new RecordingOutput();
  reportError(new CommandError("Env must be KEY=VALUE pairs"), "initctl", io);
  reportError(new ConnectionError("Unable to connect to the daemon: x"), "initctl", io);
  assert.equal(
    io.stderr,
    "initctl: Env must be KEY=VALUE pairs\ninitctl: Unable to connect to the daemon: x\n",
  );
});

Deno.test("reportError() reports unexpected errors as internal errors with status 1", () => {
  const io = new RecordingOutput();
  assert.equal(reportError(new TypeError("boom"), "initctl", io), 1);
  assert.equal(io.stderr, "initctl: internal error: boom\n");
});
