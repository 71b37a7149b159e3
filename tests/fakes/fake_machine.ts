/**
 * A fake {@linkcode Machine}: records every call, in order, as one line each; a call listed in
 * `failing` throws instead.
 *
 * @module
 */

import type { Machine, RebootCommand } from "../../daemon/ports.ts";

/**
 * The recording machine.
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeMachine } from "./fake_machine.ts";
 * const machine = new FakeMachine();
 * machine.sync();
 * machine.reboot("power-off");
 * assert.deepEqual(machine.calls, ["sync", "reboot power-off"]);
 * ```
 */
export class FakeMachine implements Machine {
  readonly calls: string[] = [];
  /** Names of calls that throw (e.g. `unmount`). */
  readonly failing: Set<string> = new Set();

  #record(name: string, line: string): void {
    this.calls.push(line);
    if (this.failing.has(name)) throw new Error(`${name}() failed: EBUSY`);
  }

  mount(source: string, target: string, fstype: string, flags: number, data: string | null): void {
    this.#record("mount", `mount ${source} ${target} ${fstype} ${flags} ${data ?? "-"}`);
  }

  unmount(target: string, flags: number): void {
    this.#record("unmount", `unmount ${target} ${flags}`);
  }

  sync(): void {
    this.#record("sync", "sync");
  }

  reboot(command: RebootCommand): void {
    this.#record("reboot", `reboot ${command}`);
  }

  killAll(signal: number): void {
    this.#record("killAll", `killAll ${signal}`);
  }

  attachConsole(path: string): void {
    this.#record("attachConsole", `attachConsole ${path}`);
  }
}
