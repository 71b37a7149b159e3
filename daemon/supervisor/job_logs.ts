/**
 * The `console log` files of one spawner's processes (see docs/behaviour.md#job-logs): opened with
 * the daemon's bounds and `--log-timestamps` stamps (docs/seeing.md#logs), every loss reported to
 * the daemon's log with the job's name, and what ended processes could not write kept in memory,
 * within one cap for all, for `initctl notify-disk-writeable`
 * (docs/job-files.md#console-log-when-the-disk-fails).
 *
 * @module
 */

import { errnoNumber, strerror } from "../../sys/libc.ts";
import { LogFile, type LogLoss } from "./log_file.ts";
import { LineStamper } from "./log_timestamps.ts";

/** Default memory cap of all the logs kept for `notify-disk-writeable`: 16 MiB. */
export const DEFAULT_UNFLUSHED_BYTES = 16 * 1024 * 1024;

/** Where losses are reported: the daemon's log. */
export type LossLog = (priority: "info" | "warn", message: string) => void;

/** Options of {@linkcode JobLogs}. */
export interface JobLogsOptions {
  /** Memory cap per log while its file cannot be written. */
  readonly maxBuffer?: number;
  /** Stamp each line with its time. */
  readonly timestamps?: boolean;
  /** Memory cap of the logs of ended processes, all together; the oldest are dropped first. */
  readonly unflushedBytes?: number;
  /** Least time between two reports of one log's continuing loss. */
  readonly reportMs?: number;
  readonly log?: LossLog;
}

/** The logs of running processes, and those ended processes left in memory. */
export class JobLogs {
  /** Logs of processes whose output is still being read. */
  readonly #live = new Set<LogFile>();
  /** Logs of ended processes holding output the disk refused, oldest first. */
  readonly #unflushed = new Set<LogFile>();
  readonly #options: JobLogsOptions;
  readonly #cap: number;
  #log: LossLog;

  constructor(options: JobLogsOptions = {}) {
    this.#options = options;
    this.#cap = options.unflushedBytes ?? DEFAULT_UNFLUSHED_BYTES;
    this.#log = options.log ?? (() => {});
  }

  /** Reports losses to `log` from now on. */
  reportTo(log: LossLog): void {
    this.#log = log;
  }

  /** A running process's log at `path`; its losses are reported as `who`'s. */
  open(path: string, who: string): LogFile {
    const o = this.#options;
    const log = new LogFile(path, {
      ...(o.maxBuffer === undefined ? {} : { maxBuffer: o.maxBuffer }),
      ...(o.reportMs === undefined ? {} : { reportMs: o.reportMs }),
      onLoss: (loss) => this.#report(who, loss),
      ...(o.timestamps === true ? { transform: new LineStamper().stamp } : {}),
    });
    this.#live.add(log);
    return log;
  }

  /** The process's output has ended: keep what could not be written, within the cap. */
  ended(log: LogFile): void {
    this.#live.delete(log);
    if (log.close()) return;
    if (!log.keepForLater) {
      log.abandon();
      return;
    }
    this.#unflushed.add(log);
    let total = 0;
    for (const kept of this.#unflushed) total += kept.buffered;
    for (const oldest of this.#unflushed) {
      if (total <= this.#cap) break;
      total -= oldest.abandon();
      this.#unflushed.delete(oldest);
    }
  }

  /**
   * `initctl notify-disk-writeable`: writes out the logs kept in memory for ended processes,
   * oldest first, then reopens the log of every running process and writes what it buffered.
   * Returns how many logs still hold output in memory.
   */
  flush(): number {
    for (const log of this.#unflushed) {
      if (log.flush() || !log.keepForLater) {
        if (log.buffered > 0) log.abandon();
        log.close();
        this.#unflushed.delete(log);
      }
    }
    let pending = this.#unflushed.size;
    for (const log of this.#live) if (!log.reopen()) pending++;
    return pending;
  }

  #report(who: string, loss: LogLoss): void {
    if (loss.resumed) {
      this.#log("info", `${who}: output written to ${loss.path} again`);
      return;
    }
    const reason = strerror(errnoNumber(loss.reason) ?? 5);
    this.#log("warn", `${who}: ${loss.bytes} bytes of output dropped: ${loss.path}: ${reason}`);
  }
}
