/**
 * The interface every benchmarked process manager implements, and the helpers
 * the adapters share. The measuring itself (timing, polling the process table,
 * cleaning up) lives in `session.ts`, so an adapter only knows how to drive its
 * manager: write its configuration, launch it, ask it, stop it.
 *
 * @module
 */

/** The name of service number `i` in every manager: `s0`, `s1`… */
export function serviceName(i: number): string {
  return `s${i}`;
}

/** How the report describes a manager's commands (shown under the tables). */
export interface ManagerNotes {
  /** How it is launched. */
  readonly start: string;
  /** The status command timed as "list". */
  readonly list?: string;
  /** The restart command. */
  readonly restart?: string;
  /** The "stop everything" path. */
  readonly stop: string;
  /** Anything else that changes what the figures mean. */
  readonly other?: string;
}

/**
 * One process manager under test. Call order: `available` (then `install` if
 * needed), and per session `setup` → `start` → queries → `stopAll` →
 * `teardown`. `teardown` runs even when a step failed; the caller then kills
 * whatever is left below the bench.
 */
export interface Manager {
  /** The name used in the tables. */
  readonly name: string;
  readonly notes: ManagerNotes;
  /** The Debian package that provides it, installed by the bench when missing. */
  readonly debianPackage?: string;
  /** Its version as installed here, for the report; `null` when unknown. */
  version(): Promise<string | null>;
  /** `true` when it can run here, else the reason it cannot. */
  available(): Promise<true | string>;
  /** Installs it (beyond `debianPackage`), e.g. from npm into the work directory. */
  install?(): Promise<void>;
  /** Writes the configuration for `n` services into the empty directory `dir`. */
  setup(dir: string, n: number): Promise<void>;
  /** Launches the manager; resolves once launched, not once the services run. */
  start(): Promise<void>;
  /** The manager's own processes now (its daemon and per-service supervisors), not the services. */
  managerPids(): Promise<number[]>;
  /** One whole call of its status command: running service name → pid. */
  list?(): Promise<Map<string, number>>;
  /** Asks the manager about service `i` alone: its pid when reported running, else `null`. */
  reportedPid?(i: number): Promise<number | null>;
  /** Asks the manager to restart service `i`; resolves when the command returns. */
  restart?(i: number): Promise<void>;
  /** Starts stopping every service; resolves when the stop command returns. */
  stopAll(): Promise<void>;
  /** Shuts down whatever is left gracefully (bounded in time); never throws. */
  teardown(): Promise<void>;
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits for `p` at most `ms` milliseconds and never rejects: a failure or a
 * timeout both resolve to `undefined`. The timer is cleared either way, so it
 * never keeps the process alive.
 */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p.catch(() => undefined),
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Writes an executable `run` script that execs the service. */
export async function writeRunScript(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/run`;
  await Deno.writeTextFile(path, "#!/bin/sh\nexec sleep 100000\n");
  await Deno.chmod(path, 0o755);
}

/** The first line of `command -v name`'s answer, or `null` when not on PATH. */
export async function which(name: string): Promise<string | null> {
  for (
    const dir of ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
  ) {
    try {
      const st = await Deno.stat(`${dir}/${name}`);
      if (st.isFile && st.mode !== null && (st.mode & 0o111) !== 0) return `${dir}/${name}`;
    } catch {
      // Not in this directory.
    }
  }
  return null;
}

/** `true` when every command exists, else "missing: a, b". */
export async function commandsPresent(names: readonly string[]): Promise<true | string> {
  const missing: string[] = [];
  for (const n of names) if (await which(n) === null) missing.push(n);
  return missing.length === 0 ? true : `missing: ${missing.join(", ")}`;
}
