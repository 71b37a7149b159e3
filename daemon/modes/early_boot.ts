/**
 * The first step of the system mode as the machine's PID 1 (see docs/pid1.md#early-boot), all
 * through the {@linkcode Machine} port: a session of its own; `/sys`, `/dev`, `/dev/pts`,
 * `/dev/shm` and `/run` mounted when missing (the launcher mounted `/proc`); stdio on
 * `/dev/console`; umask 022; `/` as working directory; a default `PATH` and `TERM`; Ctrl-Alt-Del
 * delivered as SIGINT rather than rebooting at once.
 *
 * Nothing here stops the boot: a step that fails is reported and the next one runs.
 *
 * @module
 */

import type { LogWriter } from "../log.ts";
import type { Machine } from "../ports.ts";
import { DEFAULT_PATH } from "./mode.ts";
import { MS } from "../../sys/machine.ts";

/** A file system PID 1 mounts when it is missing. */
export interface EarlyMount {
  readonly source: string;
  readonly target: string;
  readonly fsType: string;
  readonly flags: number;
  readonly data: string | null;
}

/** What the early boot mounts, in order (parents first). */
export const EARLY_MOUNTS: readonly EarlyMount[] = [
  {
    source: "sysfs",
    target: "/sys",
    fsType: "sysfs",
    flags: MS.NOSUID | MS.NODEV | MS.NOEXEC,
    data: null,
  },
  { source: "devtmpfs", target: "/dev", fsType: "devtmpfs", flags: MS.NOSUID, data: "mode=0755" },
  {
    source: "devpts",
    target: "/dev/pts",
    fsType: "devpts",
    flags: MS.NOSUID | MS.NOEXEC,
    data: "gid=5,mode=620,ptmxmode=000",
  },
  {
    source: "tmpfs",
    target: "/dev/shm",
    fsType: "tmpfs",
    flags: MS.NOSUID | MS.NODEV,
    data: "mode=1777",
  },
  {
    source: "tmpfs",
    target: "/run",
    fsType: "tmpfs",
    flags: MS.NOSUID | MS.NODEV,
    data: "mode=0755",
  },
];

/** The console PID 1 takes its stdio from. */
export const CONSOLE = "/dev/console";

/** What the early boot did. */
export interface EarlyBoot {
  /** The daemon's environment, with `PATH` and `TERM` defaulted. */
  readonly env: Record<string, string>;
  /** Whether fds 0–2 are now the console (so the daemon's messages move to the kernel log). */
  readonly consoleAttached: boolean;
  /** What happened, for the daemon log once it exists. */
  readonly messages: readonly string[];
}

/**
 * Whether PID 1 should take `/dev/console` as its stdio: when every one of fds 0–2 is closed
 * or a device (the kernel's console, a tty, /dev/null). A pipe, socket or file means whoever
 * started us (a test harness, a container runtime) collects our output: it is kept.
 */
export function wantsConsole(stdio: readonly (string | null)[]): boolean {
  return stdio.every((t) => t === null || t.startsWith("/dev/"));
}

/** Runs the early boot of PID 1. */
export function earlyBoot(machine: Machine, rawEnv: Readonly<Record<string, string>>): EarlyBoot {
  const messages: string[] = [];
  const attempt = (what: string, fn: () => void): boolean => {
    try {
      fn();
      return true;
    } catch (e) {
      messages.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  };
  attempt("setsid", () => machine.setsid());
  const mounted = new Set(machine.mounts().map((m) => m.mountPoint));
  for (const m of EARLY_MOUNTS) {
    if (mounted.has(m.target)) continue;
    attempt(`Unable to mount ${m.target}`, () => {
      machine.makeDirectory(m.target, 0o755);
      machine.mount(m.source, m.target, m.fsType, m.flags, m.data);
    });
  }
  const consoleAttached = wantsConsole(machine.stdio()) &&
    attempt(`Unable to open ${CONSOLE}`, () => machine.attachConsole(CONSOLE));
  attempt("umask", () => machine.setUmask(0o022));
  attempt("Unable to change to /", () => machine.chdir("/"));
  // A PID namespace has no Ctrl-Alt-Del of its own (the kernel refuses the request there).
  if (machine.ownsMachine()) {
    attempt("Unable to disable Ctrl-Alt-Del", () => machine.reboot("cad-off"));
  }
  const env = { ...rawEnv };
  env.PATH ??= DEFAULT_PATH;
  env.TERM ??= "linux";
  return { env, consoleAttached, messages };
}

const encoder = new TextEncoder();
const writeAll = (file: { writeSync(p: Uint8Array): number }, line: string) => {
  try {
    let bytes = encoder.encode(line);
    while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
  } catch { /* a console gone away loses the line, never the daemon */ }
};
const stdioWriter: LogWriter = {
  stdout: (line) => writeAll(Deno.stdout, line),
  stderr: (line) => writeAll(Deno.stderr, line),
};

/**
 * The daemon log's writer as PID 1 on the console: the console while the daemon starts, then the
 * kernel log (`init: ...` records in `dmesg`) once the console belongs to the jobs
 * (`console output`, `console owner`, gettys). Stays on the console when the kernel log cannot
 * be opened.
 */
export class ConsoleThenKernelLog implements LogWriter {
  readonly #console: LogWriter;
  #kernel: ((line: string) => void) | null = null;

  constructor(console: LogWriter = stdioWriter) {
    this.#console = console;
  }

  /** Moves every later line to the kernel log. */
  toKernelLog(machine: Machine): void {
    this.#kernel ??= machine.openKernelLog();
  }

  stdout(line: string): void {
    if (this.#kernel !== null) this.#kernel(line);
    else this.#console.stdout(line);
  }

  stderr(line: string): void {
    if (this.#kernel !== null) this.#kernel(line);
    else this.#console.stderr(line);
  }
}
