/**
 * A fake {@linkcode Machine}: records every call, in order, as one line each; a call listed in
 * `failing` throws instead.
 *
 * @module
 */

import type { Machine, MountPoint, RebootCommand } from "../../daemon/ports.ts";

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
  /** What `mounts()` answers; `mount` adds to it, `unmount` removes from it. */
  mountTable: MountPoint[] = [];
  /** What `stdio()` answers. */
  stdioTargets: (string | null)[] = ["/dev/console", "/dev/console", "/dev/console"];
  /** Lines written to the kernel log; `null` makes `openKernelLog` fail. */
  kernelLog: string[] | null = [];
  /** What `ownsMachine()` answers. */
  owner = true;
  /** Names of calls that throw (e.g. `unmount`). */
  readonly failing: Set<string> = new Set();

  #record(name: string, line: string): void {
    this.calls.push(line);
    if (this.failing.has(name)) throw new Error(`${name}() failed: EBUSY`);
  }

  mount(source: string, target: string, fstype: string, flags: number, data: string | null): void {
    this.#record("mount", `mount ${source} ${target} ${fstype} ${flags} ${data ?? "-"}`);
    const REMOUNT = 32;
    if ((flags & REMOUNT) === 0) this.mountTable.push({ mountPoint: target, fsType: fstype });
  }

  unmount(target: string, flags: number): void {
    this.#record("unmount", `unmount ${target} ${flags}`);
    const i = this.mountTable.findLastIndex((m) => m.mountPoint === target);
    if (i >= 0) this.mountTable.splice(i, 1);
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

  mounts(): readonly MountPoint[] {
    return [...this.mountTable];
  }

  makeDirectory(path: string, mode: number): void {
    this.#record("makeDirectory", `mkdir ${path} ${mode.toString(8)}`);
  }

  setsid(): void {
    this.#record("setsid", "setsid");
  }

  chdir(path: string): void {
    this.#record("chdir", `chdir ${path}`);
  }

  setUmask(mask: number): void {
    this.#record("setUmask", `umask ${mask.toString(8).padStart(3, "0")}`);
  }

  stdio(): readonly (string | null)[] {
    return [...this.stdioTargets];
  }

  openKernelLog(): ((line: string) => void) | null {
    const lines = this.kernelLog;
    return lines === null ? null : (line) => void lines.push(line);
  }

  ownsMachine(): boolean {
    return this.owner;
  }

  reexec(extraArgs: readonly string[]): void {
    this.#record("reexec", `reexec ${extraArgs.join(" ")}`.trimEnd());
  }
}
