/**
 * Finding the daemon (see docs/tools.md#conventions, docs/behaviour.md#user-session): `--socket
 * PATH`; else `$UPSTART_SESSION`; else, for a non-root caller, that user's one live session
 * announced in `$XDG_RUNTIME_DIR/upstart/sessions/PID.session` (or
 * `/run/user/UID/upstart/sessions`); else the system socket.
 *
 * An explicit address (`--socket`, `$UPSTART_SESSION`) is the only one tried:
 * falling back from a job's own session to the system daemon would act on the
 * wrong init. A discovered session falls back to the system socket.
 *
 * @module
 */

import {
  parseSessionAddress,
  parseSessionFileName,
  SESSION_VARIABLE,
  sessionDirectory,
  SYSTEM_SOCKET,
} from "../protocol/addresses.ts";
import { ConnectionError, connectSocket, type RpcClient } from "../protocol/client.ts";
import type { CliEnv } from "./context.ts";

/** `--user` forces a session daemon, `--system` the system one; `auto` decides. */
export type ConnectMode = "auto" | "user" | "system";

/** One live session announced in a session directory. */
export interface SessionEntry {
  readonly pid: number;
  /** The address as written after `UPSTART_SESSION=`. */
  readonly address: string;
  /** The socket the address names; `null` when it names none daybreak can use. */
  readonly socket: string | null;
}

/**
 * Whether a process exists, from `/proc/PID`. Deno allows `/proc` only with
 * `--allow-all`; without it the answer is "alive" (connecting will tell), and
 * the launcher passes the pids it checked instead (see `initctl.ts`).
 *
 * @param pid the process id
 * @returns false when `/proc/PID` does not exist
 */
export function procPidAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (e) {
    return !(e instanceof Deno.errors.NotFound);
  }
}

/**
 * The live sessions of a session directory, by pid: files named `PID.session`
 * whose PID is alive and whose content starts with `UPSTART_SESSION=`.
 *
 * @param dir the session directory
 * @param isPidAlive the liveness test
 * @returns the sessions, in pid order; none when the directory does not exist
 */
export async function findSessions(
  dir: string,
  isPidAlive: (pid: number) => boolean,
): Promise<SessionEntry[]> {
  const found: SessionEntry[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return [];
    throw e;
  }
  for (const entry of entries) {
    const pid = parseSessionFileName(entry.name);
    if (pid === null || !isPidAlive(pid)) continue;
    let text: string;
    try {
      text = await Deno.readTextFile(`${dir}/${entry.name}`);
    } catch {
      continue; // removed while we looked, or unreadable: not a session we can use
    }
    const prefix = `${SESSION_VARIABLE}=`;
    if (!text.startsWith(prefix)) continue;
    const address = (text.split("\n", 1)[0] as string).slice(prefix.length).trim();
    found.push({ pid, address, socket: parseSessionAddress(address) });
  }
  return found.sort((a, b) => a.pid - b.pid);
}

/** Options of `connectDaemon()`. */
export interface ConnectOptions {
  /** `--socket PATH`. */
  readonly socket?: string | undefined;
  /** @default {"auto"} */
  readonly mode?: ConnectMode;
  readonly env: CliEnv;
  /** The caller's uid; `null` when unknown (treated as non-root). */
  readonly uid: number | null;
  /** @default {procPidAlive} */
  readonly isPidAlive?: (pid: number) => boolean;
  /** Opens a client on a socket; `connectSocket` by default. */
  readonly connect?: (path: string) => Promise<RpcClient>;
}

/** Upstart's message for `--user` without a session (see docs/tools.md#conventions). */
export const NO_SESSION_MESSAGE =
  "UPSTART_SESSION isn't set in the environment. Unable to locate the Upstart instance.";

function failureReason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Connects to the daemon the caller means (see the module documentation).
 *
 * @param options where to look
 * @returns a connected client
 * @throws {ConnectionError} `Unable to connect to the daemon: …` naming every
 *   place tried, e.g. `no session found and /run/daybreak/initctl.sock: No such
 *   file or directory`
 */
export async function connectDaemon(options: ConnectOptions): Promise<RpcClient> {
  const connect = options.connect ?? connectSocket;
  const mode = options.mode ?? "auto";
  const tried: string[] = [];
  const attempt = async (path: string): Promise<RpcClient | null> => {
    try {
      return await connect(path);
    } catch (e) {
      tried.push(failureReason(e));
      return null;
    }
  };
  const fail = (): never => {
    throw new ConnectionError(`Unable to connect to the daemon: ${tried.join(" and ")}`);
  };

  if (options.socket !== undefined) return await attempt(options.socket) ?? fail();

  const session = options.env.UPSTART_SESSION;
  if (mode !== "system" && session !== undefined && session !== "") {
    const path = parseSessionAddress(session);
    if (path === null) {
      throw new ConnectionError(
        `Unable to connect to the daemon: UPSTART_SESSION names no socket: ${session}`,
      );
    }
    return await attempt(path) ?? fail();
  }

  if (mode === "user" || (mode === "auto" && options.uid !== 0)) {
    const dir = sessionDirectory(options.env.XDG_RUNTIME_DIR, options.uid);
    const sessions = dir === null
      ? []
      : (await findSessions(dir, options.isPidAlive ?? procPidAlive)).filter((s) => s.socket);
    const only = sessions.length === 1 ? sessions[0] : undefined;
    if (only !== undefined && only.socket !== null) {
      const client = await attempt(only.socket);
      if (client !== null) return client;
    } else if (sessions.length > 1) {
      tried.push(`${sessions.length} sessions found (set UPSTART_SESSION or use --socket)`);
    } else {
      tried.push("no session found");
    }
    if (mode === "user") {
      if (sessions.length === 0) throw new ConnectionError(NO_SESSION_MESSAGE);
      fail();
    }
  }

  return await attempt(SYSTEM_SOCKET) ?? fail();
}
