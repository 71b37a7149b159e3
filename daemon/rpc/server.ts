/**
 * The control socket: a unix socket speaking newline-delimited JSON-RPC 2.0.
 *
 * Each request line is parsed, validated against its zod schema
 * (`protocol/methods.ts`), authorised by the caller's credentials (SO_PEERCRED), and
 * dispatched to a handler. Nothing a client sends can hurt the daemon or
 * other clients: bad JSON gets a parse error, an unknown method or bad params
 * an error response, a line over the size limit or a client that goes silent
 * mid-line is dropped, and a handler that throws becomes an error response.
 *
 * @module
 */

import {
  createJSONRPCErrorResponse,
  JSONRPCErrorException,
  type JSONRPCResponse,
  JSONRPCServer,
} from "json-rpc-2.0";
import { ERROR_CODES, errorMessage, RpcError } from "../../protocol/errors.ts";
import { LineSplitter, LineTooLongError, MAX_REQUEST_BYTES } from "../../protocol/framing.ts";
import { type Method, METHODS, type Params, type Result } from "../../protocol/methods.ts";
import type { PeerCredentials } from "./peercred.ts";

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

/** Options of {@linkcode createDispatcher}. */
export interface DispatcherOptions {
  readonly authorize: Authorizer;
  /** Called for unexpected handler failures (bugs), which become Internal errors. */
  readonly onInternalError: (method: string, error: unknown) => void;
}

/**
 * Builds the JSON-RPC dispatcher: validation, authorisation, handler call.
 */
export function createDispatcher(
  handlers: RpcHandlers,
  options: DispatcherOptions,
): JSONRPCServer<CallContext> {
  const server = new JSONRPCServer<CallContext>({
    // Protocol errors (RpcError and friends) are answers, not failures: only log the rest.
    errorListener: (message, data) => {
      if (!isProtocolError(data)) options.onInternalError(message, data);
    },
  });
  server.mapErrorToJSONRPCErrorResponse = (id, error) => {
    if (isProtocolError(error)) {
      return createJSONRPCErrorResponse(id, error.code, error.message, error.data);
    }
    return createJSONRPCErrorResponse(id, ERROR_CODES.Internal, errorMessage("Internal"));
  };
  for (const method of Object.keys(METHODS) as Method[]) {
    server.addMethod(method, async (raw: unknown, ctx: CallContext) => {
      const parsed = METHODS[method].params.safeParse(raw ?? {});
      if (!parsed.success) {
        const detail = parsed.error.issues.map((i) =>
          `${i.path.join(".") || "params"}: ${i.message}`
        )
          .join("; ");
        throw RpcError.of("InvalidParams", { detail });
      }
      options.authorize(method, parsed.data, ctx);
      const handler = handlers[method] as (p: unknown, c: CallContext) => unknown;
      return await handler(parsed.data, ctx);
    });
  }
  return server;
}

/** An error that is an answer (the table's, or the library's own), not a failure. */
function isProtocolError(e: unknown): e is RpcError | JSONRPCErrorException {
  return e instanceof RpcError || e instanceof JSONRPCErrorException;
}

/** Options of {@linkcode ControlSocketServer.listen}. */
export interface ControlSocketOptions {
  readonly path: string;
  readonly dispatcher: JSONRPCServer<CallContext>;
  /** Reads the peer of a just-accepted connection (SO_PEERCRED). */
  readonly peerLookup: (conn: Deno.UnixConn) => PeerCredentials | null;
  /** Makes the socket file get this mode (e.g. by setting the umask around listen). */
  readonly createWithMode: <T>(mode: number, fn: () => T) => T;
  /** Socket file mode. */
  readonly mode: number;
  readonly maxRequestBytes?: number;
  /** A client that sends part of a line and then nothing for this long is dropped. */
  readonly idleTimeoutMs?: number;
  readonly maxConnections?: number;
  readonly onClientError?: (message: string) => void;
  /** Called when a connection is closed (e.g. to release its peer-credential record). */
  readonly onClose?: (conn: Deno.UnixConn) => void;
}

const encoder = new TextEncoder();

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
  readonly #listener: Deno.Listener<Deno.UnixConn, Deno.UnixAddr>;
  readonly #options: ControlSocketOptions;
  /** The inode of our socket file, so that close() never removes a successor's. */
  readonly #inode: number | null;
  readonly #conns = new Set<Deno.UnixConn>();
  #closed = false;
  readonly #accepting: Promise<void>;

  private constructor(
    listener: Deno.Listener<Deno.UnixConn, Deno.UnixAddr>,
    options: ControlSocketOptions,
  ) {
    this.#listener = listener;
    this.#options = options;
    this.#inode = inodeOf(options.path);
    this.#accepting = this.#acceptLoop();
  }

  /**
   * Binds the socket (replacing a stale file) and starts serving.
   *
   * @throws {SocketInUseError} when a live daemon answers on the path
   */
  static async listen(options: ControlSocketOptions): Promise<ControlSocketServer> {
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
      () => Deno.listen({ transport: "unix", path: options.path }),
    );
    return new ControlSocketServer(listener, options);
  }

  /** Number of clients connected now. */
  get connections(): number {
    return this.#conns.size;
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.UnixConn;
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
      if (this.#conns.size >= (this.#options.maxConnections ?? 512)) {
        this.#options.onClientError?.("too many clients; connection refused");
        closeQuietly(conn);
        this.#options.onClose?.(conn);
        continue;
      }
      this.#conns.add(conn);
      this.#serve(conn, peer).catch((e) => this.#options.onClientError?.(String(e)))
        .finally(() => {
          this.#conns.delete(conn);
          closeQuietly(conn);
          try {
            this.#options.onClose?.(conn);
          } catch { /* bookkeeping only */ }
        });
    }
  }

  async #serve(conn: Deno.UnixConn, peer: PeerCredentials | null): Promise<void> {
    const abort = new AbortController();
    const ctx: CallContext = { peer, signal: abort.signal };
    const splitter = new LineSplitter(this.#options.maxRequestBytes ?? MAX_REQUEST_BYTES);
    const idleMs = this.#options.idleTimeoutMs ?? 30_000;
    const inflight = new Set<Promise<void>>();
    let partial = false;
    let idle: ReturnType<typeof setTimeout> | undefined;
    const armIdle = () => {
      clearTimeout(idle);
      idle = partial ? setTimeout(() => closeQuietly(conn), idleMs) : undefined;
    };
    const buf = new Uint8Array(64 * 1024);
    let writes = Promise.resolve();
    const send = (response: JSONRPCResponse | JSONRPCResponse[]) => {
      const bytes = encoder.encode(`${JSON.stringify(response)}\n`);
      writes = writes.then(() => writeAll(conn, bytes)).catch(() => abort.abort());
    };
    try {
      while (true) {
        let n: number | null;
        try {
          n = await conn.read(buf);
        } catch {
          break;
        }
        if (n === null) break;
        let lines: string[];
        try {
          lines = splitter.push(buf.subarray(0, n));
        } catch (e) {
          if (!(e instanceof LineTooLongError)) throw e;
          send(createJSONRPCErrorResponse(null, ERROR_CODES.InvalidParams, e.message));
          break;
        }
        partial = buf[n - 1] !== 0x0a;
        armIdle();
        for (const line of lines) {
          if (line.trim() === "") continue;
          const call: Promise<void> = this.#handleLine(line, ctx).then((r) => {
            if (r !== null) send(r);
          }).finally(() => inflight.delete(call));
          inflight.add(call);
        }
      }
    } finally {
      clearTimeout(idle);
      abort.abort();
      // Let the answers to requests already read go out before the connection closes (a
      // client may shut down its sending side and still read). Calls that wait for a job or an
      // event stop waiting on the abort above, so this ends.
      if (!this.#closed) await Promise.allSettled([...inflight]);
      await writes;
    }
  }

  async #handleLine(
    line: string,
    ctx: CallContext,
  ): Promise<JSONRPCResponse | JSONRPCResponse[] | null> {
    let request: unknown;
    try {
      request = JSON.parse(line);
    } catch {
      return createJSONRPCErrorResponse(null, ERROR_CODES.ParseError, errorMessage("ParseError"));
    }
    try {
      // deno-lint-ignore no-explicit-any
      return await this.#options.dispatcher.receive(request as any, ctx);
    } catch (e) {
      return createJSONRPCErrorResponse(
        null,
        ERROR_CODES.InvalidRequest,
        errorMessage("InvalidRequest", { detail: String(e) }),
      );
    }
  }

  /** Stops accepting, closes every client, and removes the socket file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener.close();
    } catch { /* already closed */ }
    for (const c of this.#conns) closeQuietly(c);
    await this.#accepting.catch(() => {});
    if (this.#inode !== null && inodeOf(this.#options.path) === this.#inode) {
      try {
        await Deno.remove(this.#options.path);
      } catch { /* gone already */ }
    }
  }
}

function inodeOf(path: string): number | null {
  try {
    return Deno.lstatSync(path).ino;
  } catch {
    return null;
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}
