/**
 * DOT → SVG through Graphviz's `dot -Tsvg` (Debian's `graphviz` package).
 * The one place the CLI runs a program. See docs/seeing.md#the-event-graph.
 *
 * @module
 */

/** `dot` is not installed (or not runnable). */
export class GraphvizMissingError extends Error {
  constructor() {
    super("cannot render SVG: Graphviz's `dot' was not found (install the graphviz package)");
    this.name = "GraphvizMissingError";
  }
}

/** `dot` rejected its input. */
export class GraphvizFailedError extends Error {
  constructor(message: string) {
    super(`dot -Tsvg failed: ${message}`);
    this.name = "GraphvizFailedError";
  }
}

/**
 * Renders DOT text as SVG.
 *
 * @param dot the DOT text
 * @param program the program to run (`dot`, found on PATH)
 * @returns the SVG document
 * @throws {GraphvizMissingError} when `dot` cannot be run
 * @throws {GraphvizFailedError} when it fails
 */
export async function dotToSvg(dot: string, program = "dot"): Promise<string> {
  let child;
  try {
    child = new Deno.Command(program, {
      args: ["-Tsvg"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied) {
      throw new GraphvizMissingError();
    }
    throw e;
  }
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(dot));
  await writer.close();
  const out = await child.output();
  const decoder = new TextDecoder();
  if (!out.success) throw new GraphvizFailedError(decoder.decode(out.stderr).trim());
  return decoder.decode(out.stdout);
}
