/**
 * The CLI's only writer to stdout and stderr. Writes are synchronous and
 * complete, so output is never lost when a command exits right after.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Where a command's output goes; tests pass a recorder instead. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) {
    const n = file.writeSync(bytes);
    bytes = bytes.subarray(n);
  }
}

/** The process's real stdout and stderr. A closed pipe (EPIPE) is ignored. */
export const processOutput: CliOutput = {
  out(text) {
    try {
      writeAll(Deno.stdout, text);
    } catch (e) {
      if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
    }
  },
  err(text) {
    try {
      writeAll(Deno.stderr, text);
    } catch (e) {
      if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
    }
  },
};

/** An output that records what was written, for tests. */
export class RecordingOutput implements CliOutput {
  stdout = "";
  stderr = "";
  out(text: string): void {
    this.stdout += text;
  }
  err(text: string): void {
    this.stderr += text;
  }
}
