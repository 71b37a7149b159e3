/**
 * Prints `N passed, M failed` from Deno JUnit reports (one per file argument): every `<testcase>` is
 * one test (steps included), failed when it holds a `<failure>` or `<error>`.
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
  let text = "";
  for (const path of Deno.args) {
    try {
      text += await Deno.readTextFile(path);
    } catch {
      // A phase that wrote no report counts nothing.
    }
  }
  const { passed, failed, skipped } = summarize(text);
  const tail = skipped > 0 ? `, ${skipped} skipped` : "";
  await Deno.stdout.write(new TextEncoder().encode(`${passed} passed, ${failed} failed${tail}\n`));
}
