/**
 * The daemon's own log (see docs/behaviour.md#daemon-log).
 *
 * Upstart's priorities (debug < info < message < warn < error < fatal); the minimum priority can
 * change at run time (`initctl log-priority`). In user mode, warn and above go to stderr as
 * `init: MESSAGE` and lower priorities go to stdout unprefixed; in system mode everything goes to
 * stderr as `init: MESSAGE` (the console) until the PID-1 issue moves it to /dev/kmsg. A failed
 * write is dropped: a log write never takes the daemon down.
 *
 * Written without @logtape/logtape, which it once wrapped one to one: that package's `node:util`
 * import started Deno's Node compatibility layer while the daemon's modules loaded, and it added
 * about fifteen modules to load (docs/platform.md#start-up-costs).
 *
 * @module
 */

import { LOG_PRIORITIES, type LogPriority } from "./options.ts";
import { LogLimiter, type LogLimiterOptions } from "./log_limiter.ts";

/** Where log lines are written. */
export interface LogWriter {
  stdout(line: string): void;
  stderr(line: string): void;
}

const encoder = new TextEncoder();
const processWriter: LogWriter = {
  stdout: (line) => writeQuietly(Deno.stdout, line),
  stderr: (line) => writeQuietly(Deno.stderr, line),
};

function writeQuietly(file: { writeSync(p: Uint8Array): number }, line: string): void {
  try {
    let bytes = encoder.encode(line);
    while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
  } catch {
    // A closed or full stderr must not stop the daemon.
  }
}

/** The daemon log: priority-filtered, mode-aware. */
export class DaemonLog {
  #priority: LogPriority;
  readonly #user: boolean;
  readonly #writer: LogWriter;
  readonly #limiter: LogLimiter;

  /** @param options mode, initial priority, and an optional writer for tests */
  constructor(
    options: {
      user: boolean;
      priority: LogPriority;
      writer?: LogWriter;
      limit?: LogLimiterOptions;
    },
  ) {
    this.#priority = options.priority;
    this.#user = options.user;
    this.#writer = options.writer ?? processWriter;
    // Repeated lines are collapsed (a respawn loop would fill the disk): see log_limiter.ts.
    this.#limiter = new LogLimiter((p, m) => this.#emit(p, m), options.limit);
  }

  /** The current minimum priority. */
  get priority(): LogPriority {
    return this.#priority;
  }

  /** Changes the minimum priority (`initctl log-priority`). */
  set priority(p: LogPriority) {
    this.#priority = p;
  }

  /** Whether a message at `priority` would be written (so that a caller may skip building it). */
  wants(priority: LogPriority): boolean {
    return LOG_PRIORITIES.indexOf(priority) >= LOG_PRIORITIES.indexOf(this.#priority);
  }

  /** Logs one message at an Upstart priority. */
  log(priority: LogPriority, message: string): void {
    try {
      if (!this.wants(priority)) return;
      this.#limiter.log(priority, message);
    } catch {
      // never let logging fail a caller
    }
  }

  /** Writes every pending "N similar messages suppressed" line. */
  flush(): void {
    this.#limiter.flush();
  }

  #emit(priority: LogPriority, message: string): void {
    const important = LOG_PRIORITIES.indexOf(priority) >= LOG_PRIORITIES.indexOf("warn");
    if (this.#user && !important) this.#writer.stdout(`${message}\n`);
    else this.#writer.stderr(`${prefixed("init", message)}\n`);
  }
}

/**
 * libnih's `PROG: MESSAGE`, without the space when the message's first word
 * ends with a colon (`init:/etc/init/x.conf:2: Unknown stanza`,
 * docs/configuration.md#parse-failures).
 */
export function prefixed(prog: string, message: string): string {
  const firstWord = message.split(" ", 1)[0] ?? "";
  return firstWord.endsWith(":") ? `${prog}:${message}` : `${prog}: ${message}`;
}
