/**
 * The scenario's tracker bounds: far above what a loaded machine takes to fork (a process that
 * forked is tracked well before them), so that the tests can tell "tracked at the fork" from
 * "tracked at the end of the grace period or the settle time" by time alone.
 */
export const EXPECT_GRACE_MS = 3000;
export const EXPECT_SETTLE_MS = 6000;

/** Runs `supervise.ts NAME` in a fresh Deno process and returns the JSON it printed. */
export async function runScenario(name: string): Promise<Record<string, unknown>> {
  const script = new URL("./supervise.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-run",
      "--allow-env",
      "--allow-ffi",
      script,
      name,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`Cannot run scenario ${name}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
}
