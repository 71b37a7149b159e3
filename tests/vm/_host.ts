/**
 * Host-side helpers shared by the VM harness: running tools, the cache directory, a file lock.
 *
 * @module
 */

import { join } from "node:path";

/** Thrown when the host cannot provide something a VM boot needs (a package, the kernel…). */
export class VmSetupError extends Error {
  /** What was being attempted, e.g. `"apt-get install"`. */
  readonly step: string;
  /** The tool's own words (its stderr), when there is a tool. */
  readonly detail: string;
  constructor(step: string, detail: string) {
    super(`Cannot ${step}: ${detail.trim() || "no output"}`);
    this.name = "VmSetupError";
    this.step = step;
    this.detail = detail;
  }
}

/** The result of {@linkcode runTool}. */
export interface ToolOutput {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `cmd` as found on PATH or, failing that, in the sbin directories a minimal PATH leaves out
 * (`env -i PATH=/usr/bin:/bin`): mkfs.ext2, debugfs and the like live there.
 */
function withSbin(cmd: string): string {
  if (cmd.includes("/")) return cmd;
  const dirs = [
    ...(Deno.env.get("PATH") ?? "").split(":"),
    "/usr/local/sbin",
    "/usr/sbin",
    "/sbin",
  ];
  for (const dir of dirs.filter((d) => d !== "")) {
    try {
      if (Deno.statSync(`${dir}/${cmd}`).isFile) return `${dir}/${cmd}`;
    } catch { /* not there */ }
  }
  return cmd;
}

/**
 * Runs a host tool to completion and captures its output. A missing program is reported as
 * exit code 127, the way a shell would, so callers handle one failure shape.
 */
export async function runTool(
  cmd: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<ToolOutput> {
  const decoder = new TextDecoder();
  try {
    const out = await new Deno.Command(withSbin(cmd), {
      args: [...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.env === undefined ? {} : { env: options.env }),
    }).output();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { code: 127, stdout: "", stderr: String(e) };
    throw e;
  }
}

async function isWritableDir(path: string): Promise<boolean> {
  try {
    await Deno.mkdir(path, { recursive: true });
    const probe = join(path, `.probe-${crypto.randomUUID()}`);
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
    return true;
  } catch {
    return false;
  }
}

/**
 * The directory where kernels and initramfs images are kept between runs: `$DAYBREAK_VM_CACHE`
 * if set, else `/var/cache/daybreak-vm` when writable (root), else the user's XDG cache.
 */
export async function vmCacheDir(): Promise<string> {
  const explicit = Deno.env.get("DAYBREAK_VM_CACHE");
  const home = Deno.env.get("HOME");
  const xdg = Deno.env.get("XDG_CACHE_HOME") ??
    (home === undefined ? undefined : join(home, ".cache"));
  const candidates = explicit !== undefined
    ? [explicit]
    : ["/var/cache/daybreak-vm", ...(xdg === undefined ? [] : [join(xdg, "daybreak-vm")])];
  for (const dir of candidates) {
    if (await isWritableDir(dir)) return dir;
  }
  throw new VmSetupError("find a writable cache directory", `tried ${candidates.join(", ")}`);
}

/**
 * Runs `fn` while holding an exclusive lock on `lockPath`, so parallel test files (deno test
 * --parallel) do not run apt or write the same cache entry at the same time.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  using file = await Deno.open(lockPath, { write: true, create: true });
  await file.lock(true);
  try {
    return await fn();
  } finally {
    await file.unlock();
  }
}
