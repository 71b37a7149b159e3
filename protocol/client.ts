/**
 * A minimal JSON-RPC 2.0 client over a unix socket, one JSON document per
 * line (`framing.ts`). Hand-rolled rather than the `json-rpc-2.0` package:
 * resolving an npm package costs about 20 ms at start-up, as much as the whole
 * of `initctl list` may take (see `bench/`).
 *
 * Results are trusted as typed: the daemon validated them against
 * `methods.ts`, which this module imports for its types only, so zod is
 * never loaded here.
 *
 * @module
 */

import { RpcError } from "./errors.ts";
import { LineSplitter } from "./framing.ts";
import type { Method, ParamsIn, Result } from "./methods.ts";

export { RpcError };

/** What every initctl command talks to; tests pass an in-memory fake. */
export interface RpcClient {
  /**
   * Calls one method and waits for its answer.
   *
   * @throws {RpcError} when the daemon answers with an error
   * @throws {ConnectionError} when the connection fails or closes first
   */
  call<M extends Method>(method: M, params: ParamsIn<M>): Promise<Result<M>>;
  /** Closes the connection; pending calls fail with `ConnectionError`. */
  close(): void;
}

/**
 * The daemon could not be reached, or the connection broke.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConnectionError, connectSocket } from "./client.ts";
 * await assert.rejects(connectSocket("/nonexistent/d.sock"), ConnectionError);
 * ```
 */
export class ConnectionError extends Error {
  /** The socket concerned, when there is one. */
  readonly path: string | null;

  /**
   * @param message the full text initctl prints after `PROGNAME: `
   * @param path the socket concerned
   */
  constructor(message: string, path: string | null = null) {
    super(message);
    this.name = "ConnectionError";
    this.path = path;
  }
}

/**
 * The reason a system call failed, as `strerror` would word it: Deno's
 * ` (os error N)` suffix and anything after it (`: open '/x'`) are dropped.
 *
 * @param error what a Deno file or socket operation threw
 * @returns a short reason
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { osErrorReason } from "./client.ts";
 * const e = new Error("No such file or directory (os error 2): connect '/x'");
 * assert.equal(osErrorReason(e), "No such file or directory");
 * ```
 */
export function osErrorReason(error: unknown): string {
  if (error instanceof Deno.errors.NotCapable) return "not allowed by the launcher's permissions";
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/ \(os error \d+\)[^]*$/, "");
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Response {
  id?: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown; data?: unknown };
}

const encoder = new TextEncoder();

/**
 * A connected client; make one with `connectSocket()`.
 *
 * @example
 * ```ts ignore
 * import { connectSocket } from "./client.ts";
 * const client = await connectSocket("/run/daybreak/initctl.sock");
 * const { jobs } = await client.call("job.list", {});
 * client.close();
 * ```
 */
export class SocketRpcClient implements RpcClient {
  readonly #conn: Deno.UnixConn;
  readonly #path: string;
  readonly #pending = new Map<number, Pending>();
  /** Holds a line not yet complete across read loops; answers have no size limit. */
  readonly #lines = new LineSplitter(Infinity);
  #nextId = 1;
  #reading = false;
  #closed = false;

  /**
   * @param conn an open connection
   * @param path the socket it is connected to, for messages
   */
  constructor(conn: Deno.UnixConn, path: string) {
    this.#conn = conn;
    this.#path = path;
  }

  /** The socket this client is connected to. */
  get path(): string {
    return this.#path;
  }

  async call<M extends Method>(method: M, params: ParamsIn<M>): Promise<Result<M>> {
    if (this.#closed) throw new ConnectionError("Connection to the daemon is closed", this.#path);
    const id = this.#nextId++;
    const answer = new Promise<unknown>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
    });
    const line = `${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`;
    try {
      let bytes = encoder.encode(line);
      while (bytes.length > 0) bytes = bytes.subarray(await this.#conn.write(bytes));
    } catch (e) {
      this.#pending.delete(id);
      throw this.#lost(e);
    }
    if (!this.#reading) {
      this.#reading = true;
      void this.#readLoop();
    }
    return await answer as Result<M>;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the peer; nothing left to release.
    }
    this.#failAll(new ConnectionError("Connection to the daemon is closed", this.#path));
  }

  async #readLoop(): Promise<void> {
    const chunk = new Uint8Array(65536);
    try {
      for (;;) {
        const n = await this.#conn.read(chunk);
        if (n === null) break;
        for (const line of this.#lines.push(chunk.subarray(0, n))) this.#dispatch(line);
        if (this.#pending.size === 0) break;
      }
    } catch (e) {
      if (!this.#closed) this.#failAll(this.#lost(e));
      return;
    } finally {
      this.#reading = false;
    }
    if (this.#pending.size > 0) {
      this.#failAll(
        new ConnectionError("The daemon closed the connection before answering", this.#path),
      );
    }
  }

  #dispatch(line: string): void {
    if (line.trim() === "") return;
    let message: Response;
    try {
      message = JSON.parse(line) as Response;
    } catch {
      this.#failAll(new ConnectionError("The daemon sent a malformed answer", this.#path));
      return;
    }
    const id = typeof message.id === "number" ? message.id : null;
    const pending = id === null ? undefined : this.#pending.get(id);
    if (pending === undefined || id === null) return;
    this.#pending.delete(id);
    const error = message.error;
    if (error !== undefined && error !== null) {
      const code = typeof error.code === "number" ? error.code : 0;
      const text = typeof error.message === "string" ? error.message : "Unknown error";
      pending.reject(new RpcError(code, text, error.data));
    } else {
      pending.resolve(message.result);
    }
  }

  #lost(error: unknown): ConnectionError {
    return new ConnectionError(
      `Lost connection to the daemon: ${osErrorReason(error)}`,
      this.#path,
    );
  }

  #failAll(error: Error): void {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of all) p.reject(error);
  }
}

/**
 * Connects to a daemon's socket.
 *
 * @param path the socket's path
 * @returns a client on that socket
 * @throws {ConnectionError} `PATH: REASON` when the socket does not answer
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectSocket } from "./client.ts";
 * await assert.rejects(connectSocket("/nonexistent/d.sock"), {
 *   message: "/nonexistent/d.sock: No such file or directory",
 * });
 * ```
 */
export async function connectSocket(path: string): Promise<SocketRpcClient> {
  let conn: Deno.UnixConn;
  try {
    conn = await Deno.connect({ transport: "unix", path });
  } catch (e) {
    throw new ConnectionError(`${path}: ${osErrorReason(e)}`, path);
  }
  return new SocketRpcClient(conn, path);
}
