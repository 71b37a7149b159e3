import assert from "node:assert/strict";
import {
  ERROR_CODES,
  errorMessage,
  type ErrorName,
  errorNameOf,
  ERRORS,
  EXIT_FAILURE,
  exitStatusOf,
  RpcError,
} from "./errors.ts";

Deno.test("every error has its own code, and codes map back to names", () => {
  const names = Object.keys(ERRORS) as ErrorName[];
  const codes = names.map((n) => ERRORS[n].code);
  assert.equal(new Set(codes).size, codes.length);
  for (const name of names) {
    assert.equal(ERROR_CODES[name], ERRORS[name].code);
    assert.equal(errorNameOf(ERRORS[name].code), name);
  }
  assert.equal(errorNameOf(-1), null);
});

Deno.test("the wire codes are the documented ones", () => {
  assert.deepEqual(
    [ERROR_CODES.UnknownJob, ERROR_CODES.PermissionDenied, ERROR_CODES.EmptyName],
    [-32001, -32007, -32015],
  );
  assert.equal(ERROR_CODES.InvalidParams, -32602);
  assert.equal(ERROR_CODES.Internal, -32603);
});

Deno.test("errorMessage() fills templates with Upstart's texts", () => {
  assert.equal(errorMessage("UnknownInstance", { instance: "" }), "Unknown instance: ");
  assert.equal(
    errorMessage("AlreadyStarted", { job: "web (a)" }),
    "Job is already running: web (a)",
  );
  assert.equal(errorMessage("JobFailed", { how: "while stopping" }), "Job failed while stopping");
  assert.equal(errorMessage("UnknownParameter", { text: "x {job} y" }), "x {job} y");
  assert.equal(
    errorMessage("PermissionDenied", { what: "emit an event" }),
    "You do not have permission to emit an event",
  );
  assert.equal(errorMessage("InvalidEnv"), "Env must be KEY=VALUE pairs");
  assert.equal(errorMessage("UnknownJob"), "Unknown job: {job}");
});

Deno.test("RpcError is built from a name or a raw code", () => {
  const named = RpcError.of("NoSuchVariable", { name: "X" });
  assert.equal(named.code, -32010);
  assert.equal(named.codeName, "NoSuchVariable");
  assert.equal(named.message, "No such variable: X");
  assert.equal(named.exitStatus, EXIT_FAILURE);
  const raw = new RpcError(-32009, "Unknown parameter: N", { job: "j" });
  assert.equal(raw.codeName, "UnknownParameter");
  assert.deepEqual(raw.data, { job: "j" });
  const outside = new RpcError(-1, "odd");
  assert.equal(outside.codeName, null);
  assert.equal(outside.exitStatus, EXIT_FAILURE);
  assert.equal(exitStatusOf(-32001), 1);
  assert.ok(named instanceof Error);
  assert.equal(named.name, "RpcError");
});
