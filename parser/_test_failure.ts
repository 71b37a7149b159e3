/**
 * Helpers for the parser's tests: capture a {@linkcode JobSyntaxError} as
 * plain data, and build the expected record from Upstart's message table.
 *
 * @module
 */

import assert from "node:assert/strict";
import { JOB_SYNTAX_MESSAGES, JobSyntaxError, type JobSyntaxErrorKind } from "./errors.ts";
import { parseJobConfig } from "./parse_job.ts";

/** A syntax error as data: what tests compare. */
export interface Failure {
  kind: JobSyntaxErrorKind;
  message: string;
  line: number;
  column: number;
}

/** The JobSyntaxError `fn` throws; any other outcome fails the test. */
export function thrown(fn: () => unknown): JobSyntaxError {
  try {
    fn();
  } catch (e) {
    if (e instanceof JobSyntaxError) return e;
    throw e;
  }
  assert.fail("expected a JobSyntaxError");
}

/** The failure `fn` throws, as data. */
export function failureOf(fn: () => unknown): Failure {
  const e = thrown(fn);
  return { kind: e.kind, message: e.message, line: e.line, column: e.column };
}

/** The failure of parsing `text` as job `test`, as data. */
export function parseFailure(text: string): Failure {
  return failureOf(() => parseJobConfig(text, { name: "test" }));
}

/** The failure expected for `kind` at a position, with Upstart's message. */
export function expected(kind: JobSyntaxErrorKind, line: number, column: number): Failure {
  return { kind, message: JOB_SYNTAX_MESSAGES[kind], line, column };
}
