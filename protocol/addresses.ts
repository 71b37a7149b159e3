/**
 * Where daemons listen and how a session daemon announces itself (see
 * docs/behaviour.md#user-session), shared by the daemon (which writes) and initctl (which reads),
 * so both agree byte for byte. Dependency-free: initctl loads it on every run.
 *
 * A session daemon writes `$XDG_RUNTIME_DIR/upstart/sessions/PID.session`
 * holding one line `UPSTART_SESSION=unix:path=/abs/socket` (Upstart wrote a
 * D-Bus `unix:abstract=` address there; daybreak's socket is a file) and sets
 * the same `UPSTART_SESSION` in every job's environment.
 *
 * @module
 */

/**
 * The system daemon's control socket.
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { SYSTEM_SOCKET } from "./addresses.ts";
 * assert.equal(SYSTEM_SOCKET, "/run/daybreak/initctl.sock");
 * ```
 */
export const SYSTEM_SOCKET = "/run/daybreak/initctl.sock";

/** The session directory, relative to `$XDG_RUNTIME_DIR` (see docs/behaviour.md#user-session). */
export const SESSION_DIR_RELATIVE = "upstart/sessions";

/** The variable a session file sets, and that jobs of a session daemon see. */
export const SESSION_VARIABLE = "UPSTART_SESSION";

const SESSION_FILE = /^([1-9][0-9]*)\.session$/;

// D-Bus address values escape every byte outside this set as %XX.
const ADDRESS_SAFE = /^[-0-9A-Za-z_/.\\*]$/;

/**
 * The D-Bus-style address of a socket, as `UPSTART_SESSION` holds it.
 *
 * @param socketPath absolute path of the socket
 * @returns `unix:path=` followed by the escaped path
 *
 * @example Usage
 * ```ts
 * import { sessionAddress } from "./addresses.ts";
 * sessionAddress("/run/user/1000/daybreak.sock"); // "unix:path=/run/user/1000/daybreak.sock"
 * ```
 */
export function sessionAddress(socketPath: string): string {
  let escaped = "";
  for (const byte of new TextEncoder().encode(socketPath)) {
    const ch = String.fromCharCode(byte);
    escaped += byte < 0x80 && ADDRESS_SAFE.test(ch)
      ? ch
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return `unix:path=${escaped}`;
}

/**
 * The content of a session file (`PID.session`) for a daemon listening on
 * `socketPath`: one line, `UPSTART_SESSION=unix:path=/abs/socket`.
 *
 * @param socketPath absolute path of the daemon's socket
 * @returns the file content, ending in a newline
 *
 * @example Usage
 * ```ts
 * import { sessionFileContent } from "./addresses.ts";
 * sessionFileContent("/run/user/1000/d.sock"); // "UPSTART_SESSION=unix:path=/run/user/1000/d.sock\n"
 * ```
 */
export function sessionFileContent(socketPath: string): string {
  return `${SESSION_VARIABLE}=${sessionAddress(socketPath)}\n`;
}

/**
 * The socket path named by a session address, a session file's content, or a
 * bare absolute path. Only the first line counts. Accepted forms:
 * `UPSTART_SESSION=unix:path=/abs`, `unix:path=/abs[,key=value…]` (values
 * %-unescaped as D-Bus does) and `/abs`.
 *
 * @param text the address or file content
 * @returns the absolute socket path, or `null` when there is none (an
 *   `unix:abstract=` address of a real Upstart, a relative path, garbage)
 *
 * @example Usage
 * ```ts
 * import { parseSessionAddress } from "./addresses.ts";
 * parseSessionAddress("UPSTART_SESSION=unix:path=/run/d.sock\n"); // "/run/d.sock"
 * parseSessionAddress("unix:abstract=/com/ubuntu/upstart-session/1000/42"); // null
 * ```
 */
export function parseSessionAddress(text: string): string | null {
  let value = (text.split("\n", 1)[0] ?? "").trim();
  if (value.startsWith(`${SESSION_VARIABLE}=`)) value = value.slice(SESSION_VARIABLE.length + 1);
  if (value.startsWith("/")) return value;
  if (!value.startsWith("unix:")) return null;
  for (const pair of value.slice("unix:".length).split(",")) {
    const eq = pair.indexOf("=");
    if (eq < 0 || pair.slice(0, eq) !== "path") continue;
    const path = unescapeValue(pair.slice(eq + 1));
    return path !== null && path.startsWith("/") ? path : null;
  }
  return null;
}

function unescapeValue(value: string): string | null {
  if (!value.includes("%")) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (ch !== "%") {
      bytes.push(...new TextEncoder().encode(ch));
      continue;
    }
    const hex = value.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
    bytes.push(parseInt(hex, 16));
    i += 2;
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/**
 * The name of a daemon's session file.
 *
 * @param pid the daemon's process id
 * @returns `PID.session`
 */
export function sessionFileName(pid: number): string {
  return `${pid}.session`;
}

/**
 * The process id a session file is named after.
 *
 * @param name a file name in the session directory
 * @returns the pid, or `null` when the name is not `PID.session`
 */
export function parseSessionFileName(name: string): number | null {
  const m = SESSION_FILE.exec(name);
  return m === null ? null : Number(m[1]);
}

/**
 * The session directory of a user: `$XDG_RUNTIME_DIR/upstart/sessions`, or,
 * when that variable is unset or not absolute and `uid` is given,
 * `/run/user/UID/upstart/sessions`.
 *
 * @param xdgRuntimeDir the value of `$XDG_RUNTIME_DIR`, if any
 * @param uid the user, for the fallback
 * @returns the directory, or `null` when neither is available
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { sessionDirectory } from "./addresses.ts";
 * assert.equal(sessionDirectory("/run/user/1000"), "/run/user/1000/upstart/sessions");
 * assert.equal(sessionDirectory(undefined, 1001), "/run/user/1001/upstart/sessions");
 * ```
 */
export function sessionDirectory(
  xdgRuntimeDir: string | undefined,
  uid?: number | null,
): string | null {
  if (xdgRuntimeDir !== undefined && xdgRuntimeDir.startsWith("/")) {
    return `${xdgRuntimeDir.replace(/\/+$/, "")}/${SESSION_DIR_RELATIVE}`;
  }
  return uid === undefined || uid === null ? null : `/run/user/${uid}/${SESSION_DIR_RELATIVE}`;
}
