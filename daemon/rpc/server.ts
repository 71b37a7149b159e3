/**
 * The control socket: a unix socket speaking newline-delimited JSON-RPC 2.0.
 *
 * Each request line is parsed, validated against its zod schema
 * (`protocol/methods.ts`), authorised by the caller's credentials (SO_PEERCRED), and
 * dispatched to a handler. Nothing a client sends can hurt the daemon or
 * other clients (docs/rpc.md#limits): bad JSON gets a parse error, an unknown
 * method or bad params an error response, a handler that throws or a reply
 * that cannot be serialised an error response; a line over the size limit, a
 * client that idles or dribbles a request, or one that does not read its
 * replies is dropped; connections are limited per uid with a reserve for root
 * and the owner; batches are answered piece by piece, never as one string.
 *
 * @module
 */

import type { JSONRPCRequest, JSONRPCResponse } from "json-rpc-2.0";
import { ERROR_CODES, errorMessage } from "../../protocol/errors.ts";
import { LineSplitter, LineTooLongError, MAX_REQUEST_BYTES } from "../../protocol/framing.ts";
import type { Method, Params, Result } from "../../protocol/methods.ts";
import { closeFd, effectiveIds, isListening, unixSocketName } from "../../sys/libc.ts";
import type { PollLoop } from "../supervisor/poll_loop.ts";
import { Admission } from "./admission.ts";
import type { PeerCredentials } from "./peercred.ts";
import { type RawConn, RawUnixListener } from "./raw_listener.ts";
import { ReplyQueue } from "./reply_queue.ts";
import {
  checkRequest,
  errorResponse,
  invalidRequest,
  Output,
  REPLY_HIGH_WATER,
  streamBatch,
} from "./replies.ts";

export type { PeerCredentials };

/** What a handler knows about its call. */
export interface CallContext {
  /** Who is calling, from SO_PEERCRED; `null` when it could not be read. */
  readonly peer: PeerCredentials | null;
  /** Aborted when the client disconnects (a waiting request may give up). */
  readonly signal: AbortSignal;
}

/** One handler per method. */
export type RpcHandlers = {
  [M in Method]: (params: Params<M>, ctx: CallContext) => Promise<Result<M>> | Result<M>;
};

/** Throws a `PermissionDenied` RpcError when the caller may not call the method. */
export type Authorizer = (method: Method, params: unknown, ctx: CallContext) => void;

/**
 * What answers one well-formed request: `dispatcher.ts`'s {@linkcode createDispatcher} (zod
 * validation, authorisation, the handler). `null` for a notification.
 */
export interface RequestDispatcher {
  receive(request: JSONRPCRequest, ctx: CallContext): PromiseLike<JSONRPCResponse | null>;
}

/** Options of {@linkcode ControlSocketServer.listen}; limits are described in docs/rpc.md#limits. */
export interface ControlSocketOptions {
  readonly path: string;
  /**
   * Answers the requests: a dispatcher, or how to get one. The daemon passes a loader, so that
   * zod and the schemas (`dispatcher.ts`) load after its start-up, not before its first job;
   * the first request that needs it calls it (once), and waits.
   */
  readonly dispatcher: RequestDispatcher | (() => Promise<RequestDispatcher>);
  /** Reads the peer of a just-accepted connection (SO_PEERCRED). */
  readonly peerLookup: (conn: RawConn) => PeerCredentials | null;
  /** Makes the socket file get this mode (e.g. by setting the umask around listen). */
  readonly createWithMode: <T>(mode: number, fn: () => T) => T;
  /** Socket file mode. */
  readonly mode: number;
  /** Longest request line, in bytes (default 1 MiB). */
  readonly maxRequestBytes?: number;
  /** A connection with no request in progress for this long is dropped (default 30 s). */
  readonly idleTimeoutMs?: number;
  /** A request line must arrive whole within this long of its first byte (default 10 s). */
  readonly requestTimeoutMs?: number;
  /** Connections open at once (default 512). */
  readonly maxConnections?: number;
  /** Connections open at once per uid other than root and the owner (default 32). */
  readonly maxConnectionsPerUid?: number;
  /** Of `maxConnections`, how many are kept for root and the owner (default 64). */
  readonly reservedConnections?: number;
  /** The daemon's owner, as privileged as root here (default: the daemon's own uid). */
  readonly ownerUid?: number;
  /** Requests of one connection handled at once; it is not read further meanwhile (default 32). */
  readonly maxInflightPerConnection?: number;
  /** Reply bytes queued per connection; past it the client is dropped (default 4 MiB). */
  readonly maxReplyQueueBytes?: number;
  /** Replies waiting and none read for this long: the client is dropped (default 30 s). */
  readonly replyStallTimeoutMs?: number;
  /** Requests in one batch at most (default 1,000); a larger batch gets one Invalid Request. */
  readonly maxBatchRequests?: number;
  readonly onClientError?: (message: string) => void;
  /** Called when a request line has been answered (its reply queued, or none due). */
  readonly onAnswered?: () => void;
  /** Called when a connection is closed (e.g. to release its peer-credential record). */
  readonly onClose?: (conn: RawConn) => void;
  /** The poll loop the socket and its connections wait in (the daemon's one); a new one by default. */
  readonly loop?: PollLoop;
  /**
   * A socket already listening at `path`, kept across a re-exec (docs/reexec.md): taken up
   * instead of binding anew, so clients connecting during the exec wait in its backlog. Ignored
   * when it is not a socket listening at `path`.
   */
  readonly listeningFd?: number;
}

/** The defaults of the limits in {@linkcode ControlSocketOptions} (docs/rpc.md#limits). */
export const SOCKET_LIMITS = {
  idleTimeoutMs: 30_000,
  requestTimeoutMs: 10_000,
  maxConnections: 512,
  maxConnectionsPerUid: 32,
  reservedConnections: 64,
  maxInflightPerConnection: 32,
  maxReplyQueueBytes: 4 << 20,
  replyStallTimeoutMs: 30_000,
  maxBatchRequests: 1000,
} as const;

/** Another daemon already answers on the socket path (a live socket is never replaced). */
export class SocketInUseError extends Error {
  constructor(readonly path: string) {
    super(`Cannot listen on ${path}: another daemon is listening there`);
    this.name = "SocketInUseError";
  }
}

/** Whether something accepts connections on a unix socket path. */
async function socketIsLive(path: string): Promise<boolean> {
  try {
    (await Deno.connect({ transport: "unix", path })).close();
    return true;
  } catch {
    return false; // refused (a stale file), or not ours to judge: replaced as before
  }
}

/** A listening control socket. */
export class ControlSocketServer {
  readonly #listener: RawUnixListener;
  readonly #options: ControlSocketOptions;
  /** The inode of our socket file, so that close() never removes a successor's. */
  readonly #inode: number | null;
  /** Open connections and their reply queues (`null` until serving starts). */
  readonly #conns = new Map<RawConn, ReplyQueue | null>();
  readonly #admission: Admission;
  #closed = false;
  readonly #accepting: Promise<void>;
  #dispatcher: Promise<RequestDispatcher> | null = null;

  private constructor(
    listener: RawUnixListener,
    options: ControlSocketOptions,
  ) {
    this.#listener = listener;
    this.#options = options;
    this.#inode = inodeOf(options.path);
    const owner = options.ownerUid ?? ownUid();
    this.#admission = new Admission({
      maxConnections: options.maxConnections ?? SOCKET_LIMITS.maxConnections,
      maxPerUid: options.maxConnectionsPerUid ?? SOCKET_LIMITS.maxConnectionsPerUid,
      reserved: options.reservedConnections ?? SOCKET_LIMITS.reservedConnections,
      privileged: (uid) => uid === 0 || uid === owner,
    });
    this.#accepting = this.#acceptLoop();
  }

  /**
   * Binds the socket (replacing a stale file) and starts serving.
   *
   * @throws {SocketInUseError} when a live daemon answers on the path
   */
  static async listen(options: ControlSocketOptions): Promise<ControlSocketServer> {
    const kept = options.listeningFd;
    if (kept !== undefined) {
      if (keptListener(kept, options.path)) {
        return new ControlSocketServer(RawUnixListener.fromFd(kept, options.loop), options);
      }
      closeFdQuietly(kept); // ours, but not what we listen on now: bind anew below
    }
    try {
      const st = await Deno.lstat(options.path);
      if (st.isSocket) {
        if (await socketIsLive(options.path)) throw new SocketInUseError(options.path);
        await Deno.remove(options.path);
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    const listener = options.createWithMode(
      options.mode,
      () => RawUnixListener.listen(options.path, options.loop),
    );
    return new ControlSocketServer(listener, options);
  }

  /** Number of clients connected now. */
  get connections(): number {
    return this.#conns.size;
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#closed) {
      let conn: RawConn;
      try {
        conn = await this.#listener.accept();
      } catch (e) {
        if (this.#closed) return;
        this.#options.onClientError?.(`accept failed: ${String(e)}`);
        continue;
      }
      // Read credentials right away, before another accept can reuse state.
      let peer: PeerCredentials | null = null;
      try {
        peer = this.#options.peerLookup(conn);
      } catch (e) {
        this.#options.onClientError?.(`cannot read peer credentials: ${String(e)}`);
      }
      const admitted = this.#admission.admit(peer);
      if ("refused" in admitted) {
        this.#options.onClientError?.(`${admitted.refused}; connection refused`);
        closeQuietly(conn);
        this.#notifyClose(conn);
        continue;
      }
      this.#conns.set(conn, null);
      this.#serve(conn, peer).catch((e) => this.#options.onClientError?.(String(e)))
        .finally(() => {
          admitted.release();
          this.#conns.delete(conn);
          closeQuietly(conn);
          this.#notifyClose(conn);
        });
    }
  }

  #notifyClose(conn: RawConn): void {
    try {
      this.#options.onClose?.(conn);
    } catch { /* bookkeeping only */ }
  }

  /**
   * Serves one connection: reads request lines and runs up to a limit of them at once; stops
   * reading while that many run or while replies wait to be read (back-pressure); drops the
   * client when it idles, dribbles a request, or does not read its replies.
   */
  async #serve(conn: RawConn, peer: PeerCredentials | null): Promise<void> {
    const o = this.#options;
    const abort = new AbortController();
    const ctx: CallContext = { peer, signal: abort.signal };
    const splitter = new LineSplitter(o.maxRequestBytes ?? MAX_REQUEST_BYTES);
    const idleMs = o.idleTimeoutMs ?? SOCKET_LIMITS.idleTimeoutMs;
    const requestMs = o.requestTimeoutMs ?? SOCKET_LIMITS.requestTimeoutMs;
    const maxInflight = o.maxInflightPerConnection ?? SOCKET_LIMITS.maxInflightPerConnection;
    const who = peer === null ? "client" : `client pid ${peer.pid} uid ${peer.uid}`;
    const drop = (why: string) => {
      o.onClientError?.(`${who} dropped: ${why}`);
      abort.abort();
      closeQuietly(conn);
    };
    const replies = new ReplyQueue(conn, {
      maxBytes: o.maxReplyQueueBytes ?? SOCKET_LIMITS.maxReplyQueueBytes,
      stallTimeoutMs: o.replyStallTimeoutMs ?? SOCKET_LIMITS.replyStallTimeoutMs,
    }, drop);
    this.#conns.set(conn, replies);
    if (this.#closed) replies.fail("the daemon is closing");
    const out = new Output(replies, (m) => o.onClientError?.(`${who}: ${m}`));
    const inflight = new Set<Promise<void>>();
    /** When the incomplete line now held started to arrive (paused time not counted). */
    let lineStarted = 0;
    /** When the last request was taken or answered: blank lines do not keep a client alive. */
    let busySince = Date.now();
    const pause = async () => {
      const from = Date.now();
      while (inflight.size >= maxInflight && replies.failed === null) await Promise.race(inflight);
      await replies.below(REPLY_HIGH_WATER);
      lineStarted += Date.now() - from;
    };
    const buf = new Uint8Array(64 * 1024);
    try {
      while (replies.failed === null) {
        await pause();
        if (replies.failed !== null) break;
        const wait = splitter.pending > 0
          ? Math.max(0, lineStarted + requestMs - Date.now())
          : inflight.size === 0 && replies.bytes === 0
          ? Math.max(0, busySince + idleMs - Date.now())
          : null;
        const timer = wait === null ? undefined : setTimeout(
          () => drop(splitter.pending > 0 ? `no whole request in ${requestMs} ms` : "idle"),
          wait,
        );
        let n: number | null;
        try {
          n = await conn.read(buf);
        } catch {
          break;
        } finally {
          clearTimeout(timer);
        }
        if (n === null) break;
        const before = splitter.pending;
        let lines: string[];
        try {
          lines = splitter.push(buf.subarray(0, n));
        } catch (e) {
          if (!(e instanceof LineTooLongError)) throw e;
          await out.send(errorResponse(null, ERROR_CODES.InvalidParams, e.message));
          break;
        }
        if (splitter.pending > 0 && (before === 0 || lines.length > 0)) lineStarted = Date.now();
        for (const line of lines) {
          if (line.trim() === "") continue;
          await pause();
          if (replies.failed !== null) break;
          busySince = Date.now();
          const call: Promise<void> = this.#handleLine(line, ctx, out)
            .catch((e) => o.onClientError?.(`cannot answer ${who}: ${String(e)}`))
            .finally(() => {
              inflight.delete(call);
              busySince = Date.now();
              o.onAnswered?.();
            });
          inflight.add(call);
        }
      }
    } finally {
      abort.abort();
      // Let the answers to requests already read go out before the connection closes (a
      // client may shut down its sending side and still read). Calls that wait for a job or an
      // event stop waiting on the abort above, so this ends; a client that does not read is
      // dropped by the reply queue's stall timeout.
      if (!this.#closed && replies.failed === null) await Promise.allSettled([...inflight]);
      await replies.below(0);
    }
  }

  /** Answers one request line: a single request, or a batch streamed element by element. */
  async #handleLine(line: string, ctx: CallContext, out: Output): Promise<void> {
    let request: unknown;
    try {
      request = JSON.parse(line);
    } catch {
      return await out.send(
        errorResponse(null, ERROR_CODES.ParseError, errorMessage("ParseError")),
      );
    }
    if (!Array.isArray(request)) {
      const response = await this.#handleOne(request, ctx);
      if (response !== null) await out.send(response);
      return;
    }
    const max = this.#options.maxBatchRequests ?? SOCKET_LIMITS.maxBatchRequests;
    if (request.length === 0 || request.length > max) {
      const detail = request.length === 0
        ? "empty batch"
        : `a batch holds at most ${max} requests, not ${request.length}`;
      return await out.send(invalidRequest(null, detail));
    }
    await streamBatch(request, (element) => this.#handleOne(element, ctx), out);
  }

  /** Answers one request (not a batch); `null` for a notification. */
  async #handleOne(request: unknown, ctx: CallContext): Promise<JSONRPCResponse | null> {
    const invalid = checkRequest(request);
    if (invalid !== null) return invalid;
    let dispatcher: RequestDispatcher;
    try {
      dispatcher = await this.#getDispatcher();
    } catch (e) {
      // It could not be loaded (a broken installation): an Internal error, and the next request
      // tries again.
      this.#dispatcher = null;
      this.#options.onClientError?.(`cannot load the request dispatcher: ${String(e)}`);
      const id = (request as { id?: JSONRPCRequest["id"] }).id;
      if (id === undefined) return null; // a notification gets no answer
      return errorResponse(id, ERROR_CODES.Internal, errorMessage("Internal"));
    }
    try {
      return await dispatcher.receive(request as JSONRPCRequest, ctx);
    } catch (e) {
      return invalidRequest(null, String(e));
    }
  }

  /** The dispatcher, loaded on the first call when the options give a loader. */
  #getDispatcher(): Promise<RequestDispatcher> {
    const d = this.#options.dispatcher;
    return this.#dispatcher ??= typeof d === "function" ? d() : Promise.resolve(d);
  }

  /**
   * Clears close-on-exec on the listening socket (or sets it again, with `false`) and returns
   * its fd, for {@linkcode ControlSocketOptions.listeningFd} after a re-exec.
   */
  keepAcrossExec(keep = true): number {
    return this.#listener.keepAcrossExec(keep);
  }

  /** Stops accepting, closes every client, and removes the socket file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener.close();
    } catch { /* already closed */ }
    for (const [conn, replies] of this.#conns) {
      replies?.fail("the daemon is closing");
      closeQuietly(conn);
    }
    await this.#accepting.catch(() => {});
    if (this.#inode !== null && inodeOf(this.#options.path) === this.#inode) {
      try {
        await Deno.remove(this.#options.path);
      } catch { /* gone already */ }
    }
  }
}

/** This process's uid, which owns a user-mode daemon; `null` when it cannot be read. */
function ownUid(): number | null {
  try {
    return effectiveIds().euid;
  } catch {
    return null;
  }
}

function inodeOf(path: string): number | null {
  try {
    return Deno.lstatSync(path).ino;
  } catch {
    return null;
  }
}

/** Whether `fd` is a socket listening at `path` (what a re-exec kept for us). */
function keptListener(fd: number, path: string): boolean {
  try {
    return isListening(fd) && unixSocketName(fd) === path;
  } catch {
    return false;
  }
}

function closeFdQuietly(fd: number): void {
  try {
    closeFd(fd);
  } catch { /* not open */ }
}

function closeQuietly(conn: RawConn): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}
