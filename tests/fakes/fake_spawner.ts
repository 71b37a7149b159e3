/**
 * A fake process layer implementing the {@linkcode ProcessSpawner} port: hands out pids, records
 * kills, and ends processes when a test says so (`exit`, `killBySignal`).
 *
 * A fake process's `exited` settles synchronously: whoever listens (the engine driver) hears of
 * the exit before `exit()` returns, so engine tests read step by step without awaiting.
 *
 * @module
 */

import {
  type AdoptedProcess,
  type AdoptOptions,
  type ExitStatus,
  type ProcessSpawner,
  type SpawnedProcess,
  SpawnError,
  type SpawnRequest,
} from "../../daemon/ports.ts";
import type { ProcessName } from "../../parser/types.ts";
import { parseSignal } from "../../parser/signals.ts";

/** A process the fake started. */
export interface FakeProcess {
  readonly pid: number;
  readonly job: string;
  readonly instance: string;
  readonly process: ProcessName;
  readonly command: string;
  readonly env: readonly string[];
  /** The whole request, for tests of what the driver asks for. */
  readonly request: SpawnRequest;
  alive: boolean;
}

/** A recorded kill. */
export interface FakeKill {
  readonly pid: number;
  readonly signal: number;
  readonly group: boolean;
}

/** Options of `FakeSpawner`. */
export interface FakeSpawnerOptions {
  /** First pid handed out. @default 1000 */
  readonly firstPid?: number;
  /** Processes die when signalled with anything but CONT/CHLD/URG/WINCH. @default false */
  readonly dieOnSignal?: boolean;
  /** Called for each process once spawned; a status makes it end right away. */
  readonly autoExit?: (p: FakeProcess) => ExitStatus | null;
  /** What an adopted process is taken to be (job, command, …); defaults to job `adopted`. */
  readonly adoptRequest?: SpawnRequest;
  /**
   * `spawnAsync` keeps each spawn under way (no pid yet) until {@linkcode FakeSpawner.releaseSpawns};
   * by default it settles at once, like `spawn`. @default false
   */
  readonly holdSpawns?: boolean;
}

/** Signals whose default action does not end a process. */
const HARMLESS = new Set([17, 18, 23, 28]);

/**
 * A value that settles once and calls its listeners synchronously, typed as the promise the port
 * promises. `then` is all the driver uses.
 */
class SyncSettled<T> {
  #value: { v: T } | { e: unknown } | null = null;
  #listeners: [(v: T) => void, ((e: unknown) => void) | undefined][] = [];

  resolve(v: T): void {
    this.#settle({ v });
  }

  reject(e: unknown): void {
    this.#settle({ e });
  }

  #settle(value: { v: T } | { e: unknown }): void {
    if (this.#value !== null) return;
    this.#value = value;
    const listeners = this.#listeners;
    this.#listeners = [];
    for (const [ok, fail] of listeners) this.#call(ok, fail);
  }

  #call(onFulfilled: (v: T) => void, onRejected?: (e: unknown) => void): void {
    const value = this.#value!;
    if ("v" in value) onFulfilled(value.v);
    else onRejected?.(value.e);
  }

  then(onFulfilled: (v: T) => void, onRejected?: (e: unknown) => void): void {
    if (this.#value !== null) this.#call(onFulfilled, onRejected);
    else this.#listeners.push([onFulfilled, onRejected]);
  }

  asPromise(): Promise<T> {
    return this as unknown as Promise<T>;
  }
}

/**
 * The fake process layer.
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeSpawner } from "./fake_spawner.ts";
 * import { spawnRequest } from "./spawn_request.ts";
 * const spawner = new FakeSpawner();
 * const p = spawner.spawn(spawnRequest());
 * let status;
 * p.exited.then((s) => (status = s));
 * spawner.exit(p.pid, 3);
 * assert.deepEqual(status, { code: 3 });
 * ```
 */
export class FakeSpawner implements ProcessSpawner {
  readonly spawns: FakeProcess[] = [];
  readonly kills: FakeKill[] = [];
  readonly #options: FakeSpawnerOptions;
  readonly #failures = new Map<string, string>();
  readonly #alive = new Map<number, { p: FakeProcess; exited: SyncSettled<ExitStatus> }>();
  readonly #held: { req: SpawnRequest; complete: () => void }[] = [];
  #nextPid: number;

  /** @param options how processes behave */
  constructor(options: FakeSpawnerOptions = {}) {
    this.#options = options;
    this.#nextPid = options.firstPid ?? 1000;
  }

  /**
   * Makes every later spawn of `job`'s `process` fail with `reason` (Upstart's text).
   *
   * @param job the job name
   * @param process which process
   * @param reason e.g. `unable to execute: No such file or directory`
   */
  failSpawns(job: string, process: ProcessName, reason: string): void {
    this.#failures.set(`${job}\0${process}`, reason);
  }

  /**
   * Starts a fake process.
   *
   * @throws {SpawnError} when `failSpawns` said so
   */
  spawn(req: SpawnRequest): SpawnedProcess {
    const reason = this.#failures.get(`${req.job}\0${req.process}`);
    if (reason !== undefined) throw new SpawnError(reason);
    const p: FakeProcess = {
      pid: this.#nextPid++,
      job: req.job,
      instance: req.instance,
      process: req.process,
      command: req.command,
      env: req.env,
      request: req,
      alive: true,
    };
    const exited = new SyncSettled<ExitStatus>();
    this.spawns.push(p);
    this.#alive.set(p.pid, { p, exited });
    const status = this.#options.autoExit?.(p) ?? null;
    if (status !== null) this.#end(p.pid, status);
    return { pid: p.pid, exited: exited.asPromise(), tracked: null };
  }

  /**
   * Starts a fake process: at once, like `spawn`, by default; with `holdSpawns`, its pid
   * arrives when {@linkcode releaseSpawns} says so (a promise that then settles synchronously,
   * so tests read on step by step), and a `failSpawns` failure, checked then, rejects it.
   *
   * @throws {SpawnError} when `failSpawns` said so (not held)
   */
  spawnAsync(req: SpawnRequest): SpawnedProcess | PromiseLike<SpawnedProcess> {
    if (this.#options.holdSpawns !== true) return this.spawn(req);
    const settled = new SyncSettled<SpawnedProcess>();
    this.#held.push({
      req,
      complete: () => {
        try {
          settled.resolve(this.spawn(req));
        } catch (e) {
          settled.reject(e);
        }
      },
    });
    return settled.asPromise();
  }

  /** Requests of the spawns held under way (`holdSpawns`), oldest first. */
  get held(): SpawnRequest[] {
    return this.#held.map((h) => h.req);
  }

  /**
   * Completes the oldest `count` held spawns (all by default): each gets its pid, or fails.
   *
   * @param count how many
   */
  releaseSpawns(count = Infinity): void {
    for (let i = 0; i < count && this.#held.length > 0; i++) this.#held.shift()!.complete();
  }

  /** Pids handed to {@linkcode adopt}, with what came with them. */
  readonly adopted: { readonly pid: number; readonly options: AdoptOptions }[] = [];

  /**
   * Takes over `pid` as a live fake process of job `adopted` (its exit is then driven with
   * {@linkcode exit} or {@linkcode killBySignal}); null for a pid a fake process of this
   * spawner already ended.
   */
  adopt(pid: number, options: AdoptOptions = {}): AdoptedProcess | null {
    if (this.spawns.some((p) => p.pid === pid && !p.alive)) return null;
    this.adopted.push({ pid, options });
    let entry = this.#alive.get(pid);
    if (entry === undefined) {
      const req = this.#options.adoptRequest ?? null;
      const p: FakeProcess = {
        pid,
        job: req?.job ?? "adopted",
        instance: req?.instance ?? "",
        process: req?.process ?? "main",
        command: req?.command ?? "",
        env: req?.env ?? [],
        request: req ?? ({} as SpawnRequest),
        alive: true,
      };
      entry = { p, exited: new SyncSettled<ExitStatus>() };
      this.#alive.set(pid, entry);
    }
    return { pid, exited: entry.exited.asPromise() };
  }

  /** Records a kill, and ends the process if `dieOnSignal` is set. */
  kill(pid: number, signal: number, opts: { readonly group: boolean }): void {
    this.kills.push({ pid, signal, group: opts.group });
    if (this.#alive.has(pid) && this.#options.dieOnSignal === true && !HARMLESS.has(signal)) {
      this.#end(pid, { signal });
    }
  }

  /**
   * The process ends with an exit status.
   *
   * @param pid a live pid
   * @param code its exit status
   */
  exit(pid: number, code: number): void {
    this.#end(this.#live(pid), { code });
  }

  /**
   * The process is killed by a signal from outside.
   *
   * @param pid a live pid
   * @param name signal name, e.g. `TERM`
   */
  killBySignal(pid: number, name: string): void {
    const signal = parseSignal(name);
    if (signal === null) throw new Error(`Cannot kill with signal ${name}: unknown name`);
    this.#end(this.#live(pid), { signal });
  }

  /** Live processes, oldest first. */
  get live(): FakeProcess[] {
    return [...this.#alive.values()].map((e) => e.p);
  }

  /**
   * The newest live process of a job (and instance), by process name.
   *
   * @returns it, or undefined
   */
  find(job: string, process: ProcessName = "main", instance?: string): FakeProcess | undefined {
    return this.live.findLast((p) =>
      p.job === job && p.process === process && (instance === undefined || p.instance === instance)
    );
  }

  #live(pid: number): number {
    if (!this.#alive.has(pid)) {
      throw new Error(`Cannot end process ${pid}: not a live fake process`);
    }
    return pid;
  }

  #end(pid: number, status: ExitStatus): void {
    const entry = this.#alive.get(pid);
    if (entry === undefined) return;
    entry.p.alive = false;
    this.#alive.delete(pid);
    entry.exited.resolve(status);
  }
}
