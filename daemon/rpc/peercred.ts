/**
 * Peer credentials of accepted unix-socket connections (see docs/platform.md#control-socket). Needs
 * `--allow-ffi`.
 *
 * Deno exposes neither the fd nor the credentials of a `Deno.Conn`. Right after `accept()`
 * resolves (JS is single-threaded, so nothing else is accepted meanwhile) the new connection is
 * the socket in `/proc/self/fd` that is bound to the listening path, is not itself listening, and
 * is not yet assigned to an earlier connection; `SO_PEERCRED` on it gives the peer's pid, uid and
 * gid. Assignments are kept as (fd, inode) pairs because fd numbers are reused after close.
 *
 * @module
 */

import {
  getPeerCred,
  isListening,
  listDir,
  type PeerCred,
  socketInode,
  unixSocketName,
} from "../../sys/libc.ts";

/** The credentials the kernel recorded for the connecting process. */
export type PeerCredentials = PeerCred;

/** No connection on the path could be identified. */
export class PeerCredentialsError extends Error {
  /** The listening path that was searched. */
  readonly listenPath: string;

  constructor(listenPath: string) {
    super(`Cannot find an accepted connection on ${JSON.stringify(listenPath)}`);
    this.name = "PeerCredentialsError";
    this.listenPath = listenPath;
  }
}

interface SocketFd {
  readonly fd: number;
  readonly inode: number;
}

/** fd → socket inode of every assigned connection, across all trackers of this process. */
const ASSIGNED = new Map<number, number>();

function socketFds(): SocketFd[] {
  const out: SocketFd[] = [];
  // Through libc: Deno refuses /proc to its own file APIs without --allow-all. fstat() per fd,
  // not readlink() of /proc/self/fd/N: a daemon with 500 logged jobs holds ~1,500 fds, and the
  // procfs lookups cost ~13 ms per connection where fstat costs ~1.
  for (const name of listDir("/proc/self/fd")) {
    let inode: number | null;
    try {
      inode = socketInode(Number(name));
    } catch {
      continue; // closed meanwhile (including the directory's own fd)
    }
    if (inode !== null) out.push({ fd: Number(name), inode });
  }
  return out;
}

/** The newest accepted, unassigned connection socket bound to `listenPath`. */
function newestAccepted(listenPath: string): SocketFd {
  const sockets = socketFds();
  const live = new Map(sockets.map((s) => [s.fd, s.inode]));
  for (const [fd, inode] of ASSIGNED) {
    if (live.get(fd) !== inode) ASSIGNED.delete(fd); // closed, maybe reused since
  }
  let best: SocketFd | null = null;
  for (const s of sockets) {
    if (ASSIGNED.get(s.fd) === s.inode) continue;
    try {
      if (unixSocketName(s.fd) !== listenPath || isListening(s.fd)) continue;
    } catch {
      continue; // not a socket we can ask (closed meanwhile)
    }
    // Socket inodes are allocated in increasing order: the highest is the newest.
    if (best === null || s.inode > best.inode) best = s;
  }
  if (best === null) throw new PeerCredentialsError(listenPath);
  return best;
}

/**
 * Credentials of the newest accepted connection on `listenPath` that no
 * {@linkcode PeerCredTracker} has claimed. Call it right after `accept()` resolves.
 *
 * @throws {PeerCredentialsError} when no such connection exists.
 */
export function peerCredentials(listenPath: string): PeerCredentials {
  return getPeerCred(newestAccepted(listenPath).fd);
}

/** Maps the accepted `Deno.Conn`s of one listening socket to their fds and credentials. */
export class PeerCredTracker {
  readonly listenPath: string;
  readonly #conns = new WeakMap<Deno.Conn, SocketFd & { creds: PeerCredentials }>();

  constructor(listenPath: string) {
    this.listenPath = listenPath;
  }

  /**
   * Claims the socket of a just-accepted connection. Must be called synchronously after
   * `accept()` resolves, before the next accept.
   *
   * @throws {PeerCredentialsError} when the connection's socket cannot be found.
   */
  register(conn: Deno.Conn): PeerCredentials {
    const found = newestAccepted(this.listenPath);
    const creds = getPeerCred(found.fd);
    ASSIGNED.set(found.fd, found.inode);
    this.#conns.set(conn, { ...found, creds });
    return creds;
  }

  /** The OS fd of a registered connection. */
  fdOf(conn: Deno.Conn): number | undefined {
    return this.#conns.get(conn)?.fd;
  }

  /** The credentials recorded when `conn` was registered. */
  credentialsOf(conn: Deno.Conn): PeerCredentials | undefined {
    return this.#conns.get(conn)?.creds;
  }

  /** Forgets a connection (call when it is closed, so its fd number can be reused). */
  release(conn: Deno.Conn): void {
    const entry = this.#conns.get(conn);
    if (entry === undefined) return;
    if (ASSIGNED.get(entry.fd) === entry.inode) ASSIGNED.delete(entry.fd);
    this.#conns.delete(conn);
  }
}
