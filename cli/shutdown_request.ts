/**
 * Asking init to change runlevel, as `shutdown`, `halt`, `poweroff` and `reboot` do without `-f`:
 * the `runlevel` event with RUNLEVEL, PREVLEVEL and, for runlevel 0, INIT_HALT (see
 * docs/shutdown.md). Jobs then stop by their `stop on`, and the rc job runs the runlevel's scripts.
 *
 * @module
 */

import { connectSocket, type RpcClient } from "../protocol/client.ts";
import type { HaltMode } from "./shutdown_args.ts";
import { processOutput } from "./io.ts";
import { recordRunlevel } from "../compat_sysv/telinit.ts";
import { fileRunlevelStore } from "../compat_sysv/utmp_file.ts";

/** The system daemon's socket. */
export const SYSTEM_SOCKET = "/run/daybreak/initctl.sock";

/** The `runlevel` event a request emits. */
export interface RunlevelRequest {
  /** `0` (halt or power off), `1` (single user) or `6` (reboot). */
  readonly runlevel: "0" | "1" | "6";
  /** The runlevel before; `N` when unknown. */
  readonly previous: string;
  /** INIT_HALT for runlevel 0; `null` leaves the choice to the system. */
  readonly haltMode: HaltMode | null;
}

/**
 * The event's environment, in Upstart's order.
 *
 * @param request the change
 * @returns `KEY=VALUE` strings
 */
export function runlevelEnv(request: RunlevelRequest): string[] {
  const env = [`RUNLEVEL=${request.runlevel}`, `PREVLEVEL=${request.previous}`];
  if (request.runlevel === "0" && request.haltMode !== null) {
    env.push(`INIT_HALT=${request.haltMode === "halt" ? "HALT" : "POWEROFF"}`);
  }
  return env;
}

/**
 * Emits the `runlevel` event without waiting for it to finish (the machine goes down meanwhile).
 *
 * @param request the change
 * @param socket the daemon's socket
 * @param connect opens a client; tests pass a fake
 * @throws {ConnectionError} when the daemon cannot be reached
 * @throws {RpcError} when the daemon refuses (not root)
 */
export async function requestRunlevel(
  request: RunlevelRequest,
  socket: string = SYSTEM_SOCKET,
  connect: (path: string) => Promise<RpcClient> = connectSocket,
): Promise<void> {
  const client = await connect(socket);
  try {
    await client.call("event.emit", { name: "runlevel", env: runlevelEnv(request), wait: false });
  } finally {
    client.close();
  }
}

/** `uname -r`, for the records' host field; empty when unknown. */
export function kernelRelease(): string {
  try {
    return Deno.osRelease();
  } catch {
    return "";
  }
}

/**
 * What the tools really do to change runlevel: record the change in /run/utmp and
 * /var/log/wtmp, as telinit does (only when asking the system daemon) (Upstart's shutdown changes runlevel the same way; see
 * docs/shutdown.md#the-runlevel-record), then emit the event.
 *
 * @param prog the program, for a utmp problem's message on stderr
 * @param files the utmp and wtmp files (tests pass their own)
 * @returns a function with {@linkcode requestRunlevel}'s signature
 */
export function recordingRequest(
  prog: string,
  files: { readonly utmpPath?: string; readonly wtmpPath?: string } = {},
): typeof requestRunlevel {
  return async (request, socket = SYSTEM_SOCKET, connect = connectSocket) => {
    // The records are the system's: a daemon reached through --socket is not its init.
    if (socket === SYSTEM_SOCKET) {
      await recordRunlevel(prog, request.runlevel, request.previous, {
        now: () => Date.now(),
        kernelRelease,
        store: fileRunlevelStore,
        io: processOutput,
        ...files,
      });
    }
    await requestRunlevel(request, socket, connect);
  };
}
