/**
 * A fake process layer for engine tests: hands out pids for `spawn` effects, records kills, and
 * turns test actions (`exit`, `killBySignal`) into engine inputs.
 *
 * @module
 */

import type { Effect, ExitStatus, Input } from "../../daemon/engine/types.ts";
import type { ProcessName } from "../../parser/types.ts";
import { parseSignal } from "../../parser/signals.ts";

/** A process the fake started. */
export interface FakeProcess {
  readonly pid: number;
  readonly instanceId: number;
  readonly job: string;
  readonly instance: string;
  readonly process: ProcessName;
  readonly command: string;
  readonly env: readonly string[];
  alive: boolean;
}

/** A recorded `kill` effect. */
export interface FakeKill {
  readonly pid: number;
  readonly signal: number;
  readonly group: boolean;
}

/** Options of `FakeSpawner`. */
export interface FakeSpawnerOptions {
  /** Where inputs go (the harness queues them for the engine). */
  readonly sink: (input: Input) => void;
  /** Monotonic ms, stamped on `processExited`. */
  readonly now: () => number;
  /** First pid handed out. @default 1000 */
  readonly firstPid?: number;
  /** Processes die when signalled with anything but CONT/CHLD/URG/WINCH. @default false */
  readonly dieOnSignal?: boolean;
  /** Called for each process once spawned; a status makes it end right away. */
  readonly autoExit?: (p: FakeProcess) => ExitStatus | null;
}

/** Signals whose default action does not end a process. */
const HARMLESS = new Set([17, 18, 23, 28]);

/**
 * The fake process layer.
 *
 * @example Usage
 * ```ts
 * import { FakeSpawner } from "./fake_spawner.ts";
 * const inputs: unknown[] = [];
 * const spawner = new FakeSpawner({ sink: (i) => inputs.push(i), now: () => 0 });
 * ```
 */
export class FakeSpawner {
  readonly spawns: FakeProcess[] = [];
  readonly kills: FakeKill[] = [];
  readonly #options: FakeSpawnerOptions;
  readonly #failures = new Map<string, string>();
  readonly #alive = new Map<number, FakeProcess>();
  #nextPid: number;

  /** @param options where inputs go and how processes behave */
  constructor(options: FakeSpawnerOptions) {
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
   * Handles a `spawn` effect: reports `spawned` (or `spawnFailed`) to the sink.
   *
   * @param effect the spawn effect
   */
  spawn(effect: Extract<Effect, { type: "spawn" }>): void {
    const reason = this.#failures.get(`${effect.job}\0${effect.process}`);
    const { instanceId, process } = effect;
    if (reason !== undefined) {
      this.#options.sink({ type: "spawnFailed", instance: instanceId, process, reason });
      return;
    }
    const p: FakeProcess = {
      pid: this.#nextPid++,
      instanceId,
      job: effect.job,
      instance: effect.instance,
      process,
      command: effect.spec.command,
      env: effect.env,
      alive: true,
    };
    this.spawns.push(p);
    this.#alive.set(p.pid, p);
    this.#options.sink({ type: "spawned", instance: instanceId, process, pid: p.pid });
    const status = this.#options.autoExit?.(p) ?? null;
    if (status !== null) this.#end(p, status);
  }

  /**
   * Handles a `kill` effect: records it, and ends the process if `dieOnSignal` is set.
   *
   * @param effect the kill effect
   */
  kill(effect: Extract<Effect, { type: "kill" }>): void {
    this.kills.push({ pid: effect.pid, signal: effect.signal, group: effect.group });
    const p = this.#find(effect.pid);
    if (p !== undefined && this.#options.dieOnSignal === true && !HARMLESS.has(effect.signal)) {
      this.#end(p, { signal: effect.signal });
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
    return [...this.#alive.values()];
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

  #find(pid: number): FakeProcess | undefined {
    return this.#alive.get(pid);
  }

  #live(pid: number): FakeProcess {
    const p = this.#find(pid);
    if (p === undefined) throw new Error(`Cannot end process ${pid}: not a live fake process`);
    return p;
  }

  #end(p: FakeProcess, status: ExitStatus): void {
    p.alive = false;
    this.#alive.delete(p.pid);
    this.#options.sink({ type: "processExited", pid: p.pid, status, now: this.#options.now() });
  }
}
