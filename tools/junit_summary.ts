/**
 * Prints `N passed, M failed` from a Deno JUnit report: every `<testcase>` is
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
  const path = Deno.args[0];
  let text = "";
  try {
    text = path === undefined ? "" : await Deno.readTextFile(path);
  } catch {
    text = "";
  }
  const { passed, failed, skipped } = summarize(text);
  const tail = skipped > 0 ? `, ${skipped} skipped` : "";
  await Deno.stdout.write(new TextEncoder().encode(`${passed} passed, ${failed} failed${tail}\n`));
}
