/**
 * The real {@linkcode ProcessSpawner}: `Deno.Command(...).spawn()` with `clearEnv` and the job's
 * explicit environment, stdin on `/dev/null`. Every job process leads its own session and process
 * group (spec §5.9): the first program run is setsid(1), which calls setsid() and execs the job's
 * command line under the same pid. (Deno's `detached: true` does the same with a pre-exec hook,
 * which makes Rust fork the whole daemon instead of using vfork: 2–3 times the cost of a spawn.
 * It is still used when setsid(1) is missing and for bwrap's monitor, which must have been
 * exec'd when spawn returns.) Until setsid(1) has run, the process is in the daemon's group;
 * {@linkcode DenoSpawner.kill} then signals the process alone.
 *
 * Console handling (spec §3.6, §9.1):
 * - `none`: stdin, stdout, stderr on `/dev/null`.
 * - `log`: stdout and stderr are two pipes drained here into a {@linkcode LogFile}. No pty: the
 *   log keeps the program's own line endings (no CRLF, the §11 item 9 improvement), programs see
 *   a pipe rather than a tty (so they may block-buffer), and stdout and stderr are two streams
 *   merged in arrival order. Pipes are what `Deno.Command` offers cheaply; a pty would need FFI
 *   and fd plumbing Deno does not expose.
 * - `output`/`owner`: the daemon's own stdio (`/dev/console` in system mode). `owner` cannot make
 *   the console the controlling terminal without a pre-exec hook, so it behaves like `output`.
 *
 * `oom score` is written to `/proc/PID/oom_score_adj` by the parent right after spawn; a failure
 * kills the process and is a spawn failure, as in Upstart. Children spawned here are registered
 * with the {@linkcode Reaper} so it never reaps them.
 *
 * Failures of `limit`, `nice`, `setgid` and `setuid` are predicted before the spawn
 * (`security/setup_checks.ts`) and are spawn failures with Upstart's texts. With sandbox stanzas
 * that need namespaces the spawned program is bwrap's monitor: the pid handed back is the
 * sandboxed child (the job's real process), and the monitor's exit status is read back
 * (`security/sandbox.ts`).
 *
 * @module
 */

import {
  type AdoptedProcess,
  type AdoptOptions,
  type ExitStatus,
  type KeptLogPipe,
  type ProcessSpawner,
  type SpawnedProcess,
  SpawnError,
  type SpawnRequest,
  type TrackedProcess,
} from "../ports.ts";
import { switchFailure } from "../../security/apparmor.ts";
import { NO_CREDENTIALS, resolveCredentials } from "../../security/credentials.ts";
import {
  monitorStatus,
  NO_SANDBOX,
  requiredDirectories,
  type SetupTools,
  wrapCommand,
} from "../../security/sandbox.ts";
import { waitForSandboxChild } from "../../security/sandbox_monitor.ts";
import { SeccompFilters } from "../../security/seccomp_filter.ts";
import { capabilityMask, type DaemonPowers, setupFailure } from "../../security/setup_checks.ts";
import { readAccountFiles } from "../../sys/accounts.ts";
import {
  closeFd,
  currentUmask,
  effectiveIds,
  errnoNumber,
  getpgid,
  kill,
  killpg,
  LibcError,
  O_WRONLY,
  openFd,
  prlimit,
  readText,
  RLIMIT_RESOURCES,
  strerror,
  writeFd,
} from "../../sys/libc.ts";
import { readProcStat, readStatus } from "../../sys/procfs.ts";
import { commandLine, envValue, type ProbeResult, resolveProgram } from "./command_line.ts";
import { trackForks, trackStop } from "./fork_tracker.ts";
import { LogFile, logFilePath, type LogLoss } from "./log_file.ts";
import { LineStamper } from "./log_timestamps.ts";
import type { Reaper } from "./reaper.ts";
import { adoptProcess, keepPipes, type LoggedProcess } from "./adopted.ts";

/** Options of {@linkcode DenoSpawner}. */
export interface DenoSpawnerOptions {
  /** Keeps spawned pids safe from reaping and reports orphan exits for `expect fork/daemon`. */
  readonly reaper: Reaper;
  /** `expect`: how long to wait for the fork (or stop) before settling. Default 5000 ms. */
  readonly expectSettleMs?: number;
  /** `expect daemon`: how long a single-forked survivor gets to fork again. Default 1000 ms. */
  readonly expectGraceMs?: number;
  /** How long `exited` waits for a dead process's log pipes to drain. Default 100 ms. */
  readonly logDrainMs?: number;
  /** Memory cap per log while its file cannot be written. */
  readonly logBufferBytes?: number;
  /** `--log-timestamps`: stamp each log line with its time (docs/seeing.md#logs). */
  readonly logTimestamps?: boolean;
  /**
   * Memory cap of the logs of ended processes kept for `notify-disk-writeable`, all together
   * (default {@linkcode DEFAULT_UNFLUSHED_BYTES}); the oldest are dropped, and reported, first.
   */
  readonly unflushedLogBytes?: number;
  /** The daemon's log, told of every log output dropped (job, bytes, reason). */
  readonly log?: (priority: "info" | "warn", message: string) => void;
  /** Least time between two reports of one log's continuing loss. Default 10 s. */
  readonly logLossReportMs?: number;
}

/** Default memory cap of all the logs kept for `notify-disk-writeable`: 16 MiB. */
export const DEFAULT_UNFLUSHED_BYTES = 16 * 1024 * 1024;

/** Where the wrapper tools are looked for; the job's own PATH may not contain them. */
const TOOL_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** The first executable `name` in {@linkcode TOOL_PATH}, or null. */
function findTool(name: string): string | null {
  for (const dir of TOOL_PATH) {
    const path = `${dir}/${name}`;
    if (probe(path, false) === "ok") return path;
  }
  return null; // see SetupTools: Upstart's stanzas then fail with "unable to execute"
}

function errorCode(e: unknown): string {
  return typeof e === "object" && e !== null && "code" in e && typeof e.code === "string"
    ? e.code
    : "EIO";
}

/** `killpg`, false when there is no such group. */
function tryKillpg(pgid: number, signal: number): boolean {
  try {
    killpg(pgid, signal);
    return true;
  } catch (e) {
    if (e instanceof LibcError && e.code === "ESRCH") return false;
    throw e;
  }
}

/** glibc's text for a Deno/node error code, e.g. `"ENOENT"` → `No such file or directory`. */
function reasonText(e: unknown): string {
  if (e instanceof LibcError) return strerror(e.errno);
  const num = errnoNumber(errorCode(e));
  return num === null ? (e instanceof Error ? e.message : String(e)) : strerror(num);
}

/**
 * Probe results of the current synchronous run. A start-up burst spawns hundreds of jobs in one
 * run, each looking `sleep` up through the same PATH, and every miss is a thrown NotFound (about
 * 0.05 ms each). The cache is dropped at the next microtask checkpoint, so no answer is older
 * than the run that asked, as if the lookups had all been made at once.
 */
let probeCache: Map<string, ProbeResult> | null = null;

function probe(hostPath: string, chrooted: boolean): ProbeResult {
  if (probeCache === null) {
    probeCache = new Map();
    queueMicrotask(() => probeCache = null);
  }
  const key = `${chrooted ? "c" : "h"}${hostPath}`;
  let result = probeCache.get(key);
  if (result === undefined) {
    result = probeUncached(hostPath, chrooted);
    probeCache.set(key, result);
  }
  return result;
}

function probeUncached(hostPath: string, chrooted: boolean): ProbeResult {
  try {
    const st = Deno.statSync(hostPath);
    return st.isFile && ((st.mode ?? 0) & 0o111) !== 0 ? "ok" : "denied";
  } catch (e) {
    if (e instanceof Deno.errors.PermissionDenied) return "denied";
    if (!chrooted) return "missing";
  }
  try {
    // Inside a chroot an absolute symlink points into the new root, not ours: trust it.
    return Deno.lstatSync(hostPath).isSymlink ? "ok" : "missing";
  } catch {
    return "missing";
  }
}

/** Deno refuses `/proc` writes without `--allow-all`, so this goes through libc. */
function writeOomScore(pid: number, score: number): void {
  const fd = openFd(`/proc/${pid}/oom_score_adj`, O_WRONLY);
  try {
    writeFd(fd, new TextEncoder().encode(`${score}\n`));
  } finally {
    closeFd(fd);
  }
}

function decodeStatus(s: Deno.CommandStatus, monitor: boolean): ExitStatus {
  // Deno reports a signal death as code 128+N alongside the signal's name.
  if (s.signal !== null) return { signal: s.code - 128 };
  return monitor ? monitorStatus(s.code) : { code: s.code };
}

function envRecord(env: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of env) {
    const eq = entry.indexOf("=");
    if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

/** First read size of a log pump, and the size it falls back to after a short read. */
const PUMP_MIN_READ = 512;
/** Largest read of a log pump (Deno's own default chunk size). */
const PUMP_MAX_READ = 64 * 1024;

/**
 * Drains `stream` into `log`. A pending read holds its buffer for as long as the job is quiet,
 * and Deno's default reader allocates 64 KiB per read: 128 KiB per idle `console log` job. So
 * this reads into buffers of its own, small while output is sparse and growing while reads
 * come back full.
 */
async function pump(stream: ReadableStream<Uint8Array>, log: LogFile): Promise<void> {
  let size = PUMP_MIN_READ;
  try {
    const reader = stream.getReader({ mode: "byob" });
    for (;;) {
      const { value, done } = await reader.read(new Uint8Array(size));
      if (done) return;
      log.write(value);
      size = value.length === size ? Math.min(size * 4, PUMP_MAX_READ) : PUMP_MIN_READ;
    }
  } catch {
    // A broken pipe just ends the output.
  }
}

/** Spawns job processes with `Deno.Command`. */
export class DenoSpawner implements ProcessSpawner {
  readonly #reaper: Reaper;
  readonly #settleMs: number;
  readonly #graceMs: number;
  readonly #drainMs: number;
  readonly #logBufferBytes: number | undefined;
  readonly #logTimestamps: boolean;
  readonly #daemonNice: number;
  readonly #ownPgid: number;
  readonly #identity: { readonly euid: number; readonly egid: number };
  readonly #powers: DaemonPowers;
  readonly #unflushed = new Set<LogFile>();
  /** Logs of processes whose output is still being read. */
  readonly #live = new Set<LogFile>();
  /** Processes whose output is logged, by pid: what a re-exec keeps (`adopted.ts`). */
  readonly #logged = new Map<number, LoggedProcess>();
  readonly #unflushedCap: number;
  #log: (priority: "info" | "warn", message: string) => void;
  readonly #lossReportMs: number | undefined;
  readonly #seccomp = new SeccompFilters();
  #tools: SetupTools | null = null;
  #setsid: string | null | undefined = undefined;

  constructor(options: DenoSpawnerOptions) {
    this.#reaper = options.reaper;
    this.#settleMs = options.expectSettleMs ?? 5000;
    this.#graceMs = options.expectGraceMs ?? 1000;
    this.#drainMs = options.logDrainMs ?? 100;
    this.#logBufferBytes = options.logBufferBytes;
    this.#logTimestamps = options.logTimestamps ?? false;
    this.#unflushedCap = options.unflushedLogBytes ?? DEFAULT_UNFLUSHED_BYTES;
    this.#log = options.log ?? (() => {});
    this.#lossReportMs = options.logLossReportMs;
    this.#daemonNice = readProcStat("self")?.nice ?? 0;
    this.#ownPgid = getpgid(0);
    this.#identity = effectiveIds();
    this.#powers = {
      ...this.#identity,
      capabilities: capabilityMask(readStatus("self") ?? ""),
      nice: this.#daemonNice,
      nrOpen: Number(readText("/proc/sys/fs/nr_open") ?? "1048576"),
      limit: (resource) => prlimit(0, RLIMIT_RESOURCES[resource] ?? -1),
    };
  }

  /** Starts one job process. @throws {SpawnError} with Upstart's reason text. */
  /** Reports dropped log output to `log` from now on. */
  reportTo(log: (priority: "info" | "warn", message: string) => void): void {
    this.#log = log;
  }

  spawn(req: SpawnRequest): SpawnedProcess {
    // Upstart switches the profile before any other setup step (spec §3.6).
    const confinement = switchFailure(req.apparmorSwitch ?? null);
    if (confinement !== null) throw new SpawnError(confinement);
    const line = commandLine(req);
    const env = envRecord(req.env);
    const dirs = requiredDirectories(req);
    if (dirs.root !== null) this.#checkDir(dirs.root, "unable to change root directory");
    if (dirs.cwd !== null) this.#checkDir(dirs.cwd, "unable to change working directory");

    const chrooted = req.process !== "security" && req.chroot !== null;
    const root = chrooted ? req.chroot : null;
    const innerCwd = chrooted ? (req.chdir ?? "/") : (req.chdir ?? Deno.cwd());
    const found = resolveProgram(
      line.argv[0] ?? "",
      { path: envValue(req.env, "PATH"), cwd: innerCwd, root },
      (p) => probe(p, chrooted),
    );
    if ("error" in found) {
      throw new SpawnError(`unable to execute: ${strerror(errnoNumber(found.error) ?? 2)}`);
    }

    const credentials = req.process === "security" ? NO_CREDENTIALS : resolveCredentials(
      req,
      this.#accountFiles(root, req.setuid !== null || req.setgid !== null),
      this.#identity,
    );
    const sandbox = req.process === "security" ? NO_SANDBOX : req.sandbox ?? NO_SANDBOX;
    if (req.process !== "security") {
      const failure = setupFailure({ ...req, credentials, sandbox }, this.#powers);
      if (failure !== null) throw new SpawnError(failure);
      this.#checkPaths(sandbox.readWritePaths, "read-write path");
      this.#checkPaths(sandbox.readOnlyPaths, "read-only path");
    }
    const wrapped = wrapCommand([found.path, ...line.argv.slice(1)], {
      process: req.process,
      umask: req.umask,
      nice: req.nice,
      limits: req.limits,
      chroot: req.chroot,
      chdir: req.chdir,
      credentials,
      // Read per spawn (two cheap calls): the daemon may set its umask after constructing us.
      daemonUmask: currentUmask(),
      daemonNice: this.#daemonNice,
      sandbox,
      apparmorSwitch: req.apparmorSwitch ?? null,
      seccompFile: sandbox.seccomp === undefined ? null : this.#seccomp.file(sandbox.seccomp),
    }, this.#toolPaths());
    const monitor = wrapped.monitor === true;

    const logging = req.console === "log" && req.logDir !== null;
    const stdio = req.console === "output" || req.console === "owner" ? "inherit" : "null";
    // `detached` makes Deno fork (setsid() runs as a pre-exec hook), which costs two to three
    // times a plain spawn (posix_spawn/vfork) here; setsid(1) as the first wrapper is the
    // plain spawn plus an exec the daemon does not wait for (see docs/benchmarks.md).
    // bwrap's monitor must have been exec'd before its child can be looked up: fork for it.
    const setsid = monitor ? null : this.#setsidPath();
    const argv = setsid === null ? wrapped.argv : [setsid, ...wrapped.argv];
    const options: Deno.CommandOptions = {
      args: argv.slice(1),
      clearEnv: true,
      env,
      detached: setsid === null,
      stdin: stdio,
      stdout: logging ? "piped" : stdio,
      stderr: logging ? "piped" : stdio,
    };
    if (wrapped.cwd !== null) options.cwd = wrapped.cwd;

    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(argv[0]!, options).spawn();
    } catch (e) {
      throw new SpawnError(`unable to execute: ${reasonText(e)}`, { cause: e });
    }
    this.#reaper.own(child.pid);
    const status = child.status.then(
      (s) => decodeStatus(s, monitor),
      () => this.#reaper.waitOrphan(child.pid),
    );
    status.then(() => this.#reaper.disown(child.pid));
    // Under bwrap the job is the monitor's child: supervise that one.
    const pid = monitor ? waitForSandboxChild(child.pid) ?? child.pid : child.pid;

    let exited = status;
    if (logging) {
      const log = this.#openLog(req.logDir!, req.job, req.instance);
      this.#logged.set(pid, { path: logFilePath(req.logDir!, req.job, req.instance) });
      let done = false;
      const drained = Promise.all([pump(child.stdout, log), pump(child.stderr, log)]).then(() => {
        done = true;
        this.#logged.delete(pid);
        this.#closeLog(log);
      });
      exited = status.then(async (s) => {
        // Usually the pipes have ended with the process: no timer (500 of them at session end).
        if (done) return s;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const limit = new Promise<void>((resolve) => timer = setTimeout(resolve, this.#drainMs));
        await Promise.race([drained, limit]);
        clearTimeout(timer);
        return s;
      });
    }

    if (req.oomScoreAdj !== null && req.process !== "security") {
      try {
        writeOomScore(pid, req.oomScoreAdj);
      } catch (e) {
        this.kill(pid, 9, { group: true });
        throw new SpawnError(`unable to set oom adjustment: ${reasonText(e)}`, { cause: e });
      }
    }

    const main = { pid, status, exited, env: req.env };
    let tracked: Promise<TrackedProcess | null> | null = null;
    if (req.expect === "stop") {
      tracked = trackStop(main, { settleMs: this.#settleMs });
    } else if (req.expect === "fork" || req.expect === "daemon") {
      tracked = trackForks(main, req.expect, {
        reaper: this.#reaper,
        settleMs: this.#settleMs,
        graceMs: this.#graceMs,
      });
    }
    // Tracking must not reject: on an unexpected failure, supervise the spawned process itself.
    tracked = tracked?.catch(() => ({ pid, exited })) ?? null;
    return { pid, exited, tracked };
  }

  /**
   * Signals `pid`, or its process group (looked up, as a daemon that called setsid() leads a
   * group of its own). A process that is already gone is ignored.
   *
   * @throws {LibcError} for failures other than ESRCH (e.g. EPERM).
   */
  kill(pid: number, signal: number, opts: { readonly group: boolean }): void {
    try {
      if (opts.group) {
        // Nearly always `pid` leads its group (setsid): try that first and save the lookup.
        // A group `pid` exists only while `pid` leads it, and then the lookup would give `pid`.
        if (pid !== this.#ownPgid && tryKillpg(pid, signal)) return;
        const pgid = getpgid(pid);
        if (pgid > 0 && pgid !== this.#ownPgid) {
          killpg(pgid, signal);
          return;
        }
      }
      kill(pid, signal);
    } catch (e) {
      if (e instanceof LibcError && e.code === "ESRCH") return;
      throw e;
    }
  }

  /**
   * Takes over `pid` after a re-exec (docs/reexec.md): its exit through the reaper, its log
   * pipes (kept by {@linkcode keepAcrossExec}) drained again.
   */
  adopt(pid: number, options: AdoptOptions = {}): AdoptedProcess | null {
    return adoptProcess(this.#reaper, pid, options, {
      openLog: (path) => {
        const log = new LogFile(path, {
          ...(this.#logBufferBytes === undefined ? {} : { maxBuffer: this.#logBufferBytes }),
          onLoss: (loss) => this.#reportLoss(path, loss),
        });
        this.#live.add(log);
        return log;
      },
      closeLog: (log) => this.#closeLog(log),
      logged: this.#logged,
    });
  }

  /** Keeps every log pipe open across a re-exec (or stops keeping them, with `false`). */
  keepAcrossExec(keep = true): KeptLogPipe[] {
    return keepPipes(this.#logged, keep);
  }

  /**
   * `initctl notify-disk-writeable`: writes out the logs kept in memory for ended processes,
   * oldest first, then reopens the log of every running process and writes what it buffered.
   * Returns how many logs still hold output in memory.
   */
  flushLogs(): number {
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

  /** A process's log, reporting its losses to the daemon's log (see `log_file.ts`). */
  #openLog(dir: string, job: string, instance: string): LogFile {
    const who = instance === "" ? job : `${job} (${instance})`;
    const log = new LogFile(logFilePath(dir, job, instance), {
      ...(this.#logBufferBytes === undefined ? {} : { maxBuffer: this.#logBufferBytes }),
      ...(this.#lossReportMs === undefined ? {} : { reportMs: this.#lossReportMs }),
      onLoss: (loss) => this.#reportLoss(who, loss),
      ...(this.#logTimestamps ? { transform: new LineStamper().stamp } : {}),
    });
    this.#live.add(log);
    return log;
  }

  /** The process's output has ended: keep what could not be written, within the cap. */
  #closeLog(log: LogFile): void {
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
      if (total <= this.#unflushedCap) break;
      total -= oldest.abandon();
      this.#unflushed.delete(oldest);
    }
  }

  #reportLoss(who: string, loss: LogLoss): void {
    if (loss.resumed) {
      this.#log("info", `${who}: output written to ${loss.path} again`);
      return;
    }
    const reason = strerror(errnoNumber(loss.reason) ?? 5);
    this.#log("warn", `${who}: ${loss.bytes} bytes of output dropped: ${loss.path}: ${reason}`);
  }

  #checkDir(path: string, what: string): void {
    try {
      if (Deno.statSync(path).isDirectory) return;
    } catch (e) {
      throw new SpawnError(`${what}: ${reasonText(e)}`, { cause: e });
    }
    throw new SpawnError(`${what}: ${strerror(errnoNumber("ENOTDIR") ?? 20)}`);
  }

  #checkPaths(paths: readonly string[], what: string): void {
    for (const path of paths) {
      try {
        Deno.statSync(path);
      } catch (e) {
        throw new SpawnError(`unable to sandbox: ${what} ${path}: ${reasonText(e)}`, { cause: e });
      }
    }
  }

  #accountFiles(root: string | null, needed: boolean): { passwd: string; group: string } {
    return needed ? readAccountFiles(root) : { passwd: "", group: "" };
  }

  /**
   * setsid(1), when it is there. Its child is not a process group leader (it is in ours), so
   * it calls setsid() and execs without forking: the pid stays the job's.
   */
  #setsidPath(): string | null {
    if (this.#setsid === undefined) this.#setsid = findTool("setsid");
    return this.#setsid;
  }

  #toolPaths(): SetupTools {
    if (this.#tools !== null) return this.#tools;
    this.#tools = {
      prlimit: findTool("prlimit"),
      nice: findTool("nice"),
      setpriv: findTool("setpriv"),
      nsenter: findTool("nsenter"),
      bwrap: findTool("bwrap"),
      env: findTool("env"),
      aaExec: findTool("aa-exec"),
    };
    return this.#tools;
  }
}
