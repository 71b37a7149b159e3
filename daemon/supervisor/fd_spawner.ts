/**
 * The real {@linkcode ProcessSpawner}: job processes over raw file descriptors (see
 * docs/benchmarks.md for why). Each process is started with `posix_spawn` through FFI
 * (`sys/posix_spawn.ts`): `POSIX_SPAWN_SETSID`, so it leads its own session and process group
 * (see docs/behaviour.md#stopping) with no extra exec; an empty blocked mask and every signal 1–64
 * at its default disposition, whatever the daemon's own signal state (Deno's spawn leaves glibc's
 * signals 32 and 33 ignored). The environment is exactly the job's; stdin is `/dev/null`.
 *
 * Deno does not know these children: the {@linkcode Reaper} waits for each by pid
 * ({@linkcode Reaper.watch}) and orphans as before.
 *
 * {@linkcode FdSpawner.spawnAsync} (what the engine driver uses) makes the `posix_spawn` call on
 * one of Deno's blocking threads, so a burst of spawns (the start-up's hundreds) overlaps with
 * the daemon's own work and with each other, a few at a time; glibc's posix_spawn holds the
 * calling thread until the child has exec'd, which is most of a spawn's cost. The pid comes
 * back later; the reaper holds exits of children it cannot name yet meanwhile. A lone spawn
 * (a respawn, a `start`) and a sandboxed one stay on the JS thread. One consequence of a
 * thread that is not the JS thread being the parent: a job program that asks for a
 * parent-death signal itself (`prctl(PR_SET_PDEATHSIG)`, `setpriv --pdeathsig`) gets it when
 * that thread ends (idle for 10 s, or at a re-exec), not when the daemon does.
 *
 * Console handling (see docs/job-files.md#process-setup, docs/behaviour.md#job-logs):
 * - `none`: stdin, stdout, stderr on `/dev/null`.
 * - `log`: stdout and stderr both go to the write end of one pipe; its read end sits in the
 *   daemon's one {@linkcode PollLoop} and is written to its log file (`log_pipe.ts`, `job_logs.ts`).
 *   One descriptor per job, no stream objects; the output keeps the order it was written in.
 *   No pty: the log keeps the program's own line endings (no CRLF, the
 *   docs/behaviour.md#fix-log-files improvement), and programs see a pipe rather than a tty (so
 *   they may block-buffer).
 * - `output`/`owner`: the daemon's own stdio (`/dev/console` in system mode). `owner` does not
 *   make the console the controlling terminal, so it behaves like `output`.
 *
 * `oom score` is written to `/proc/PID/oom_score_adj` by the parent right after spawn; a failure
 * kills the process and is a spawn failure, as in Upstart.
 *
 * Failures of `limit`, `nice`, `setgid` and `setuid` are predicted before the spawn
 * (`security/setup_checks.ts`) and are spawn failures with Upstart's texts. The sandbox and
 * credential chain (`security/sandbox.ts`) is an argv prefix of wrapper programs. With sandbox
 * stanzas that need namespaces the spawned program is bwrap's monitor: the pid handed back is
 * the sandboxed child (the job's real process), and the monitor's exit status is read back.
 *
 * Log output that cannot be written is buffered within bounds, then dropped and reported to the
 * daemon's log (`log_file.ts`, {@linkcode FdSpawner.reportTo}); `initctl notify-disk-writeable`
 * ({@linkcode FdSpawner.flushLogs}) writes out what ended processes left in memory and reopens
 * the logs of running ones. With `--log-timestamps` each line is stamped (docs/seeing.md#logs).
 * `seccomp` filters are compiled once into in-memory files bwrap reads (`seccomp_filter.ts`).
 *
 * For a re-exec of the daemon (docs/reexec.md), {@linkcode FdSpawner.keepAcrossExec} clears
 * close-on-exec on the log pipes' read ends (ours, raw: nothing to look up) and lists what to
 * {@linkcode FdSpawner.adopt} in the next incarnation, which drains them again in its loop.
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
  TOOL_NAMES,
  wrapCommand,
} from "../../security/sandbox.ts";
import { waitForSandboxChild } from "../../security/sandbox_monitor.ts";
import { SeccompFilters } from "../../security/seccomp_filter.ts";
import { capabilityMask, type DaemonPowers, setupFailure } from "../../security/setup_checks.ts";
import { readAccountFiles } from "../../sys/accounts.ts";
import {
  closeFd,
  closeQuietly,
  currentUmask,
  effectiveIds,
  errnoNumber,
  getpgid,
  getpid,
  kill,
  killpg,
  LibcError,
  O_RDONLY,
  O_WRONLY,
  openFd,
  pidfdOpen,
  pipe,
  prlimit,
  readText,
  RLIMIT_RESOURCES,
  setCloseOnExec,
  strerror,
  writeFd,
} from "../../sys/libc.ts";
import {
  type FileAction,
  posixSpawnp,
  posixSpawnpAsync,
  type PosixSpawnRequest,
  SIGNAL_MAX,
  SpawnSysError,
} from "../../sys/posix_spawn.ts";
import { EPOLLIN } from "../../sys/epoll.ts";
import { readProcStat, readStatus } from "../../sys/procfs.ts";
import {
  commandLine,
  envValue,
  type ProbeResult,
  resolveProgram,
  type ResolveResult,
} from "./command_line.ts";
import { trackForks, trackStop } from "./fork_tracker.ts";
import { DEFAULT_UNFLUSHED_BYTES, JobLogs } from "./job_logs.ts";
import { logFilePath } from "./log_file.ts";
import { drainLogPipe, type LogPipe } from "./log_pipe.ts";
import { PollLoop } from "./poll_loop.ts";
import type { Reaper } from "./reaper.ts";

/** Options of {@linkcode FdSpawner}. */
export interface FdSpawnerOptions {
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
  /** The poll loop of the log pipes (one per daemon); a new one by default. */
  readonly loop?: PollLoop;
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
  /**
   * {@linkcode FdSpawner.spawnAsync}: calls under way at once on worker threads. 0 makes every
   * spawn on the JS thread (no parent thread that ends, see the module doc). Default
   * {@linkcode DEFAULT_SPAWNS_IN_FLIGHT}.
   */
  readonly spawnsInFlight?: number;
  /** {@linkcode FdSpawner.spawnAsync} makes a lone spawn on the JS thread. Default true. */
  readonly loneSpawnsOnJsThread?: boolean;
}

export { DEFAULT_UNFLUSHED_BYTES };

/** Every signal: reset to its default disposition in each job process. */
const ALL_SIGNALS: readonly number[] = Array.from({ length: SIGNAL_MAX }, (_, i) => i + 1);

/** Nothing blocked in a job process (one list, so `posix_spawn.ts` keeps one attribute object). */
const NO_SIGNALS: readonly number[] = [];

/** Where the wrapper tools are looked for; the job's own PATH may not contain them. */
const TOOL_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** The first executable `name` in {@linkcode TOOL_PATH}, or null. */
function findTool(name: string): string | null {
  for (const dir of TOOL_PATH) {
    const path = `${dir}/${name}`;
    if (probeUncached(path, false) === "ok") return path;
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
  if (e instanceof LibcError || e instanceof SpawnSysError) return strerror(e.errno);
  const num = errnoNumber(errorCode(e));
  return num === null ? (e instanceof Error ? e.message : String(e)) : strerror(num);
}

/**
 * What the spawns of one burst look up alike: program lookups (`resolveProgram` through the
 * probes), the daemon's working directory and umask. A start-up burst spawns hundreds of jobs, each
 * looking `sleep` up through the same PATH, and every miss is a thrown NotFound (about 0.05 ms
 * each). Kept while a burst is under way ({@linkcode FdSpawner.spawnAsync}'s queue or calls in
 * flight), else dropped at the next microtask checkpoint: as if the burst's lookups had all been
 * made when it began (see docs/benchmarks.md).
 */
interface Lookups {
  readonly probes: Map<string, ProbeResult>;
  /** `resolveProgram`'s answers, by chroot, working directory, PATH and name. */
  readonly programs: Map<string, ResolveResult>;
  cwd: string | null;
  /** The daemon's umask. */
  umask: number | null;
}

function probe(lookups: Lookups, hostPath: string, chrooted: boolean): ProbeResult {
  const key = `${chrooted ? "c" : "h"}${hostPath}`;
  let result = lookups.probes.get(key);
  if (result === undefined) {
    result = probeUncached(hostPath, chrooted);
    lookups.probes.set(key, result);
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

function decodeStatus(s: ExitStatus, monitor: boolean): ExitStatus {
  return monitor && "code" in s ? monitorStatus(s.code) : s;
}

/** The job's environment as `execve` gets it: the last entry of each name wins, in its place. */
function envList(env: readonly string[]): string[] {
  const out = new Map<string, string>();
  for (const entry of env) {
    const eq = entry.indexOf("=");
    if (eq > 0) out.set(entry.slice(0, eq), entry);
  }
  return [...out.values()];
}

/** A spawn prepared on the JS thread (see {@linkcode FdSpawner.spawnAsync}). */
interface Plan {
  readonly req: SpawnRequest;
  readonly call: PosixSpawnRequest;
  /** The spawned program is bwrap's monitor; the job is its child. */
  readonly monitor: boolean;
  /** The `console log` pipe: read end, write end. */
  readonly fds: [number, number] | null;
}

/** A spawn waiting for its turn. */
interface Queued {
  readonly req: SpawnRequest;
  readonly resolve: (p: SpawnedProcess) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * `posix_spawn` calls under way on Deno's blocking threads at most. Each holds a thread (the
 * pool grows to match) until the child has exec'd. On 2 cores (bench/spawn_bench.ts, 500
 * `console log` spawns, medians of 5 under load): the JS thread alone 1263 ms; 1 at a time
 * 1199 ms, 2 643 ms, 4 480 ms, 8 459 ms, 16 461 ms. Beyond 8 only threads are added (the CPU
 * per spawn still falls a little: completions come back in larger batches).
 */
export const DEFAULT_SPAWNS_IN_FLIGHT = 8;

/** Spawns job processes with `posix_spawn` and drains their logs in one poll loop. */
export class FdSpawner implements ProcessSpawner {
  readonly #reaper: Reaper;
  readonly #settleMs: number;
  readonly #graceMs: number;
  readonly #drainMs: number;
  readonly #daemonNice: number;
  readonly #ownPgid: number;
  readonly #identity: { readonly euid: number; readonly egid: number };
  readonly #powers: DaemonPowers;
  readonly #logs: JobLogs;
  /** The log pipes being read, by the job's pid: what a re-exec keeps. */
  readonly #pipes = new Map<number, { pipes: readonly LogPipe[]; path: string }>();
  readonly #seccomp = new SeccompFilters();
  #loop: PollLoop | null;
  #tools: SetupTools | null = null;
  readonly #spawnsInFlight: number;
  readonly #queue: Queued[] = [];
  #inFlight = 0;
  readonly #loneOnJsThread: boolean;
  /** A spawn was made on the spot in this synchronous run (until its microtasks). */
  #turn = false;
  /** What this burst's spawns have looked up (see {@linkcode Lookups}). */
  #lookups: Lookups | null = null;

  constructor(options: FdSpawnerOptions) {
    this.#reaper = options.reaper;
    this.#settleMs = options.expectSettleMs ?? 5000;
    this.#graceMs = options.expectGraceMs ?? 1000;
    this.#drainMs = options.logDrainMs ?? 100;
    this.#loop = options.loop ?? null;
    this.#spawnsInFlight = Math.max(0, options.spawnsInFlight ?? DEFAULT_SPAWNS_IN_FLIGHT);
    this.#loneOnJsThread = options.loneSpawnsOnJsThread ?? true;
    this.#logs = new JobLogs({
      ...(options.logBufferBytes === undefined ? {} : { maxBuffer: options.logBufferBytes }),
      timestamps: options.logTimestamps ?? false,
      ...(options.unflushedLogBytes === undefined
        ? {}
        : { unflushedBytes: options.unflushedLogBytes }),
      ...(options.logLossReportMs === undefined ? {} : { reportMs: options.logLossReportMs }),
      ...(options.log === undefined ? {} : { log: options.log }),
    });
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

  /** Reports dropped log output to `log` from now on. */
  reportTo(log: (priority: "info" | "warn", message: string) => void): void {
    this.#logs.reportTo(log);
  }

  /** Starts one job process. @throws {SpawnError} with Upstart's reason text. */
  spawn(req: SpawnRequest): SpawnedProcess {
    return this.#spawnNow(this.#plan(req));
  }

  /** `posix_spawn` on the JS thread, then supervision. @throws {SpawnError} */
  #spawnNow(plan: Plan): SpawnedProcess {
    let child: number;
    try {
      child = posixSpawnp(plan.call);
    } catch (e) {
      throw this.#notSpawned(plan, e);
    } finally {
      if (plan.fds !== null) closeQuietly(plan.fds[1]);
    }
    return this.#started(plan, child);
  }

  /**
   * Starts one job process without holding the JS thread while the child is created: the
   * `posix_spawn` call runs on one of Deno's blocking threads, at most
   * {@linkcode FdSpawnerOptions.spawnsInFlight} at a time, the others queued in order. The
   * set-up before it (program lookup, wrappers, the log pipe) runs on the JS thread when the
   * spawn leaves the queue. Rejects with {@linkcode SpawnError}, as {@linkcode spawn} throws.
   *
   * A lone spawn (nothing queued or under way, none started on the spot in this synchronous
   * run: a respawn, a `start`) is made at once on the JS thread, as {@linkcode spawn}
   * (it throws then): its pid is known when this returns, as `start --no-wait` shows it, and
   * the respawn path keeps its latency. One at a time, the worker-thread call costs twice the
   * CPU: 500 spawns took 490 ms of the daemon's CPU that way against 230 ms on the JS thread
   * (bench/spawn_bench.ts, bound 1). Alone, call to pid, the two measured within the noise of
   * a loaded 2-core machine (medians 3.4–6.1 ms on the JS thread, 2.5–3.4 ms on a worker).
   */
  spawnAsync(req: SpawnRequest): SpawnedProcess | Promise<SpawnedProcess> {
    if (this.#spawnsInFlight === 0) return this.spawn(req);
    if (this.#loneOnJsThread && this.#inFlight === 0 && this.#queue.length === 0 && !this.#turn) {
      // A second spawn in the same run means a burst: it and the rest go to the queue.
      this.#turn = true;
      try {
        return this.spawn(req);
      } finally {
        // Not a timer: in a fresh daemon the first timer starts Deno's Node layer (15–20 ms,
        // docs/platform.md#start-up-costs), which would hold up the rest of the burst.
        queueMicrotask(() => this.#turn = false);
      }
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ req, resolve, reject });
      // At once: the first calls of a burst run on the blocking threads while the JS thread
      // goes on with the rest of it.
      this.#dispatch();
    });
  }

  /** This burst's lookups (see {@linkcode Lookups}), made now when there are none. */
  #lookupsNow(): Lookups {
    if (this.#lookups === null) {
      this.#lookups = { probes: new Map(), programs: new Map(), cwd: null, umask: null };
      queueMicrotask(() => this.#endOfLookups());
    }
    return this.#lookups;
  }

  /** Drops the lookups unless a burst is under way (its end drops them). */
  #endOfLookups(): void {
    if (this.#inFlight === 0 && this.#queue.length === 0) this.#lookups = null;
  }

  /** Spawns queued or under way. */
  get spawnsPending(): number {
    return this.#queue.length + this.#inFlight;
  }

  /** Starts queued spawns while fewer than the bound are under way. */
  #dispatch(): void {
    while (this.#inFlight < this.#spawnsInFlight && this.#queue.length > 0) {
      const { req, resolve, reject } = this.#queue.shift()!;
      let plan: Plan;
      try {
        plan = this.#plan(req);
      } catch (e) {
        reject(e);
        continue;
      }
      if (plan.monitor) {
        // bwrap's `--die-with-parent` gives the monitor a parent-death signal, sent when the
        // *thread* that spawned it ends, and Deno's blocking threads end after 10 s idle (or
        // at a re-exec): the JS thread lives as long as the daemon.
        try {
          resolve(this.#spawnNow(plan));
        } catch (e) {
          reject(e);
        }
        continue;
      }
      this.#inFlight++;
      this.#reaper.spawnStarted();
      posixSpawnpAsync(plan.call).then((child) => {
        try {
          if (plan.fds !== null) closeQuietly(plan.fds[1]);
          try {
            resolve(this.#started(plan, child));
          } catch (e) {
            reject(e);
          }
        } finally {
          this.#callEnded();
        }
      }, (e) => {
        try {
          if (plan.fds !== null) closeQuietly(plan.fds[1]);
          reject(this.#notSpawned(plan, e));
        } finally {
          this.#callEnded();
        }
      });
    }
  }

  /** A call made by {@linkcode #dispatch} has returned: the next queued one may go. */
  #callEnded(): void {
    this.#inFlight--;
    // The child (if any) is watched by now: exits held for it are not orphans'.
    this.#reaper.spawnEnded();
    this.#dispatch();
    this.#endOfLookups();
  }

  /**
   * Everything before the `posix_spawn` call, on the JS thread: the checks that are spawn
   * failures in Upstart, the wrapper chain, the file actions and the log pipe (close-on-exec,
   * created last so that nothing after it can fail).
   *
   * @throws {SpawnError} with Upstart's reason text
   */
  #plan(req: SpawnRequest): Plan {
    // Upstart switches the profile before any other setup step (see
    // docs/job-files.md#process-setup).
    const confinement = switchFailure(req.apparmorSwitch ?? null);
    if (confinement !== null) throw new SpawnError(confinement);
    const line = commandLine(req);
    const dirs = requiredDirectories(req);
    if (dirs.root !== null) this.#checkDir(dirs.root, "unable to change root directory");
    if (dirs.cwd !== null) this.#checkDir(dirs.cwd, "unable to change working directory");

    const chrooted = req.process !== "security" && req.chroot !== null;
    const root = chrooted ? req.chroot : null;
    const lookups = this.#lookupsNow();
    const innerCwd = chrooted ? (req.chdir ?? "/") : (req.chdir ?? (lookups.cwd ??= Deno.cwd()));
    const name = line.argv[0] ?? "";
    const path = envValue(req.env, "PATH");
    const key = `${root ?? ""}\0${innerCwd}\0${path === null ? "\0" : `=${path}`}\0${name}`;
    let found = lookups.programs.get(key);
    if (found === undefined) {
      found = resolveProgram(
        name,
        { path, cwd: innerCwd, root },
        (p) => probe(lookups, p, chrooted),
      );
      lookups.programs.set(key, found);
    }
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
      // Read per burst (see Lookups): the daemon may set its umask after constructing us.
      daemonUmask: lookups.umask ??= currentUmask(),
      daemonNice: this.#daemonNice,
      sandbox,
      apparmorSwitch: req.apparmorSwitch ?? null,
      seccompFile: sandbox.seccomp === undefined ? null : this.#seccomp.file(sandbox.seccomp),
    }, this.#toolPaths());
    const monitor = wrapped.monitor === true;

    const logging = req.console === "log" && req.logDir !== null;
    const inherit = req.console === "output" || req.console === "owner";
    const actions: FileAction[] = [];
    let fds: [number, number] | null = null;
    if (!inherit) actions.push({ open: "/dev/null", fd: 0, flags: O_RDONLY });
    if (logging) {
      try {
        fds = pipe();
      } catch (e) {
        throw new SpawnError(`unable to execute: ${reasonText(e)}`, { cause: e });
      }
      actions.push({ dup2: fds[1], to: 1 }, { dup2: fds[1], to: 2 });
    } else if (!inherit) {
      actions.push({ open: "/dev/null", fd: 1, flags: O_WRONLY }, { dup2: 1, to: 2 });
    }
    if (wrapped.cwd !== null) actions.push({ chdir: wrapped.cwd });
    const call: PosixSpawnRequest = {
      file: wrapped.argv[0]!,
      argv: wrapped.argv,
      env: envList(req.env),
      sigmask: NO_SIGNALS,
      sigdefault: ALL_SIGNALS,
      setsid: true,
      fileActions: actions,
    };
    return { req, call, monitor, fds };
  }

  /** The spawn failure for a failed `posix_spawn` call; closes the log pipe's read end. */
  #notSpawned(plan: Plan, e: unknown): SpawnError {
    if (plan.fds !== null) closeQuietly(plan.fds[0]);
    return new SpawnError(`unable to execute: ${reasonText(e)}`, { cause: e });
  }

  /**
   * Supervises a spawned child: its exit through the reaper, its log pipe in the poll loop,
   * `oom score`, `expect` tracking.
   *
   * @throws {SpawnError} when `oom score` cannot be set (the process is killed)
   */
  #started(plan: Plan, child: number): SpawnedProcess {
    const { req, monitor, fds } = plan;
    const status = new Promise<ExitStatus>((resolve) =>
      this.#reaper.watch(child, (s) => resolve(decodeStatus(s, monitor)))
    );
    // Under bwrap the job is the monitor's child: supervise that one.
    const pid = monitor ? waitForSandboxChild(child) ?? child : child;

    let exited = status;
    if (fds !== null) {
      const path = logFilePath(req.logDir!, req.job, req.instance);
      const who = req.instance === "" ? req.job : `${req.job} (${req.instance})`;
      const log = this.#logs.open(path, who);
      let lp: LogPipe;
      try {
        lp = drainLogPipe(this.loop, fds[0], log);
      } catch {
        closeQuietly(fds[0]);
        lp = {
          fd: -1,
          ended: Promise.resolve(),
          bytes: () => 0,
          drainNow: () => true,
          close: () => {},
        };
      }
      // By the job's pid (the sandboxed child under bwrap): what the engine, and so a re-exec's
      // state, knows the process by.
      this.#pipes.set(pid, { pipes: [lp], path });
      let done = false;
      const drained = lp.ended.then(() => {
        done = true;
        this.#pipes.delete(pid);
        this.#logs.ended(log);
      });
      exited = status.then(async (s) => {
        // Usually the pipe has ended with the process: no timer (500 of them at session end).
        if (done) return s;
        // All the process wrote is in the pipe now: read it here rather than wait for the poll
        // loop, which a burst of exits may keep busy for longer than the drain limit.
        if (lp.drainNow()) {
          await drained;
          return s;
        }
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
   * `initctl notify-disk-writeable`: writes out the logs kept in memory for ended processes,
   * then reopens the log of every running process. Returns how many still hold output.
   */
  flushLogs(): number {
    return this.#logs.flush();
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

  /** The poll loop of the log pipes (created on first use). */
  get loop(): PollLoop {
    this.#loop ??= new PollLoop();
    return this.#loop;
  }

  /**
   * Takes over `pid`, a process this incarnation did not spawn (kept across a re-exec): its
   * exit is seen through the reaper when it is our child, else through a pidfd in the poll
   * loop (its status is then unknowable: `null`). With `logFd` (and `moreLogFds`), its log
   * pipes are drained again into `logPath`, with the same bounds, loss reports and stamps as
   * a spawned process's. Returns null when there is no such process.
   */
  adopt(pid: number, options: AdoptOptions = {}): AdoptedProcess | null {
    const stat = readProcStat(pid);
    if (stat === null || stat.state === "Z" && stat.ppid !== getpid()) return null;
    const fds = [
      ...(options.logFd === undefined ? [] : [options.logFd]),
      ...(options.moreLogFds ?? []),
    ];
    if (fds.length > 0 && options.logPath !== undefined) {
      const path = options.logPath;
      const log = this.#logs.open(path, path);
      const pipes: LogPipe[] = [];
      for (const fd of fds) {
        try {
          setCloseOnExec(fd, true);
          pipes.push(drainLogPipe(this.loop, fd, log));
        } catch {
          closeQuietly(fd); // not a pipe we can read: its output is lost, the process is not
        }
      }
      this.#pipes.set(pid, { pipes, path });
      Promise.all(pipes.map((p) => p.ended)).then(() => {
        this.#pipes.delete(pid);
        this.#logs.ended(log);
      });
    }
    if (stat.ppid === getpid()) {
      const exited = new Promise<ExitStatus | null>((resolve) => this.#reaper.watch(pid, resolve));
      return { pid, exited };
    }
    let pidfd: number;
    try {
      pidfd = pidfdOpen(pid);
    } catch (e) {
      if (e instanceof LibcError && e.code === "ESRCH") return null;
      throw e;
    }
    const exited = new Promise<ExitStatus | null>((resolve) => {
      this.loop.add(pidfd, EPOLLIN, () => {
        this.loop.remove(pidfd);
        closeQuietly(pidfd);
        resolve(null);
      });
    });
    return { pid, exited };
  }

  /**
   * Clears close-on-exec on every open log pipe (or sets it again, with `false`) and lists them
   * for {@linkcode adopt} after the daemon re-execs itself.
   */
  keepAcrossExec(keep = true): KeptLogPipe[] {
    const kept: KeptLogPipe[] = [];
    for (const [pid, { pipes, path }] of this.#pipes) {
      for (const pipe of pipes) {
        if (pipe.fd < 0) continue;
        try {
          setCloseOnExec(pipe.fd, !keep);
          kept.push({ pid, fd: pipe.fd, path });
        } catch { /* closed meanwhile: nothing left to keep */ }
      }
    }
    return kept;
  }

  /** The read end of `pid`'s log pipe, or null. */
  logFd(pid: number): number | null {
    const fd = this.#pipes.get(pid)?.pipes[0]?.fd;
    return fd === undefined || fd < 0 ? null : fd;
  }

  /**
   * The wrapper tools, each looked up when a spawn first needs it: most jobs need none, and a
   * lookup is a stat of every {@linkcode TOOL_PATH} directory, each miss a thrown NotFound.
   */
  #toolPaths(): SetupTools {
    if (this.#tools !== null) return this.#tools;
    const found = new Map<string, string | null>();
    const tools = {};
    for (const [key, name] of Object.entries(TOOL_NAMES)) {
      Object.defineProperty(tools, key, {
        enumerable: true,
        get: () => {
          let path = found.get(name);
          if (path === undefined) {
            path = findTool(name);
            found.set(name, path);
          }
          return path;
        },
      });
    }
    this.#tools = tools as SetupTools;
    return this.#tools;
  }
}
