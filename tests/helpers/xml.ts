/**
 * Well-formedness checks of XML documents (SVG) with xmllint, from Debian's
 * libxml2-utils.
 *
 * @module
 */

/**
 * Checks a document with `xmllint --noout`.
 *
 * @param text the document
 * @returns xmllint's complaints, `""` when the document is well-formed
 */
export async function xmlProblems(text: string): Promise<string> {
  const child = new Deno.Command("xmllint", {
    args: ["--noout", "--nonet", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(text));
  await w.close();
  const out = await child.output();
  return out.success ? "" : new TextDecoder().decode(out.stderr) || `exit ${out.code}`;
}
