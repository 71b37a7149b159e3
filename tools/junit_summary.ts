/**
 * Prints `N passed, M failed` from Deno JUnit reports (one per file argument): every `<testcase>` is
 * one test (steps included), failed when it holds a `<failure>` or `<error>`, skipped when it holds
 * `<skipped>` (ignored tests). `--counts FILE...` prints the three numbers instead.
 *
 * @module
 */

/** Counts passed and failed test cases in JUnit XML text. */
export function summarize(xml: string): { passed: number; failed: number; skipped: number } {
  let passed = 0, failed = 0, skipped = 0;
  const re = /<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const m of xml.matchAll(re)) {
    const body = m[2] ?? "";
    if (/<(failure|error)\b/.test(body)) failed++;
    else if (/<skipped\b/.test(body)) skipped++;
    else passed++;
  }
  return { passed, failed, skipped };
}

if (import.meta.main) {
  const counts = Deno.args[0] === "--counts";
  let text = "";
  for (const path of counts ? Deno.args.slice(1) : Deno.args) {
    try {
      text += await Deno.readTextFile(path);
    } catch {
      // A phase that wrote no report counts nothing.
    }
  }
  const { passed, failed, skipped } = summarize(text);
  // `--counts` is for scripts (.ci/run): three numbers. Otherwise the last line is exactly
  // `N passed, M failed`, with skipped tests, if any, on the line before it.
  const out = counts
    ? `${passed} ${failed} ${skipped}\n`
    : `${skipped > 0 ? `${skipped} skipped\n` : ""}${passed} passed, ${failed} failed\n`;
  await Deno.stdout.write(new TextEncoder().encode(out));
}
