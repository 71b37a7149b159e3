/**
 * Processes and `console log` pipes taken over after a re-exec (docs/reexec.md), for
 * {@linkcode DenoSpawner}: Deno's own pipe streams cannot cross execve, but their descriptors can
 * once close-on-exec is cleared, and the next image reads them on a thread of their own.
 *
 * @module
 */

import type { AdoptedProcess, AdoptOptions, ExitStatus, KeptLogPipe } from "../ports.ts";
import {
  closeQuietly,
  peerPipeFds,
  readAsync,
  setBlocking,
  setCloseOnExec,
} from "../../sys/exec.ts";
import { getpid } from "../../sys/libc.ts";
import { readProcStat } from "../../sys/procfs.ts";
import type { LogFile } from "./log_file.ts";
import type { Reaper } from "./reaper.ts";

/** How often the end of a process that is not our child is looked for. */
const POLL_MS = 250;

/** A process whose log is written here: its log file, and its pipes once known. */
export interface LoggedProcess {
  readonly path: string;
  /** Our read ends, known for adopted processes; looked up for spawned ones. */
  readonly fds?: readonly number[];
}

/**
 * Clears (or, with `keep` false, sets again) close-on-exec on the read ends of every logged
 * process's pipes and lists them.
 */
export function keepPipes(
  logged: ReadonlyMap<number, LoggedProcess>,
  keep: boolean,
): KeptLogPipe[] {
  const out: KeptLogPipe[] = [];
  for (const [pid, { path, fds }] of logged) {
    for (const fd of fds ?? peerPipeFds(pid, [1, 2])) {
      try {
        setCloseOnExec(fd, !keep);
        out.push({ pid, fd, path });
      } catch { /* closed meanwhile: nothing left to keep */ }
    }
  }
  return out;
}

/**
 * Takes over `pid`: its exit through the reaper when it is our child, else by watching `/proc`
 * (status unknowable: `null`); its log pipes are drained into `openLog(path)` again.
 */
export function adoptProcess(
  reaper: Reaper,
  pid: number,
  options: AdoptOptions,
  hooks: {
    openLog(path: string): LogFile;
    closeLog(log: LogFile): void;
    logged: Map<number, LoggedProcess>;
  },
): AdoptedProcess | null {
  const stat = readProcStat(pid);
  if (stat === null || stat.state === "Z" && stat.ppid !== getpid()) return null;
  const fds = [
    ...(options.logFd === undefined ? [] : [options.logFd]),
    ...(options.moreLogFds ?? []),
  ];
  if (fds.length > 0 && options.logPath !== undefined) {
    for (const fd of fds) {
      setCloseOnExec(fd, true);
      setBlocking(fd);
    }
    const log = hooks.openLog(options.logPath);
    hooks.logged.set(pid, { path: options.logPath, fds });
    Promise.all(fds.map((fd) => drain(fd, log))).then(() => {
      hooks.logged.delete(pid);
      hooks.closeLog(log);
    });
  }
  let exited: Promise<ExitStatus | null>;
  if (stat.ppid === getpid()) {
    exited = reaper.waitOrphan(pid);
  } else {
    exited = new Promise((resolve) => {
      const timer = setInterval(() => {
        const now = readProcStat(pid);
        if (now !== null && now.state !== "Z" && now.startTime === stat.startTime) return;
        clearInterval(timer);
        resolve(null);
      }, POLL_MS);
    });
  }
  return { pid, exited };
}

/** Reads `fd` until every writer closed it, into `log`; then closes it. */
async function drain(fd: number, log: LogFile): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      const n = await readAsync(fd, buf);
      if (n <= 0) return;
      log.write(buf.slice(0, n));
    }
  } catch {
    // A broken pipe just ends the output.
  } finally {
    closeQuietly(fd);
  }
}
