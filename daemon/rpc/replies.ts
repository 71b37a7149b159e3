/**
 * Writing replies on one connection (docs/rpc.md#limits): each reply is
 * serialised on its own (a failure becomes an Internal error for that request),
 * a batch's array is written piece by piece while it holds the connection's
 * output, and requests that are not well-formed are answered here.
 *
 * @module
 */

import type { JSONRPCID, JSONRPCResponse } from "json-rpc-2.0";
import { ERROR_CODES, errorMessage } from "../../protocol/errors.ts";
import type { ReplyQueue } from "./reply_queue.ts";

/** Reading stops while more reply bytes than this wait on a connection (back-pressure). */
export const REPLY_HIGH_WATER = 256 * 1024;

const encoder = new TextEncoder();

/**
 * A connection's output: single replies are queued whole, a batch's reply in pieces while it
 * holds the output, so that nothing else is written into the middle of the batch's array.
 */
export class Output {
  #turn: Promise<void> = Promise.resolve();

  constructor(readonly replies: ReplyQueue, readonly onError: (message: string) => void) {}

  /** Waits for the output; the returned function gives it back. */
  async acquire(): Promise<() => void> {
    const previous = this.#turn;
    let release!: () => void;
    this.#turn = new Promise((resolve) => release = resolve);
    await previous;
    return release;
  }

  /** Queues one whole reply, once fewer reply bytes than the high-water mark wait. */
  async send(response: JSONRPCResponse): Promise<void> {
    const text = serialise(response, this.onError);
    const release = await this.acquire();
    try {
      await this.replies.below(REPLY_HIGH_WATER);
      this.replies.push(encoder.encode(`${text}\n`));
    } finally {
      release();
    }
  }
}

/**
 * An error reply, as json-rpc-2.0's `createJSONRPCErrorResponse` builds it (`data` only when
 * given). Written here, with {@linkcode isJsonRpcId}, so that the socket loads no npm package
 * before its first request: the dispatcher (`dispatcher.ts`) loads json-rpc-2.0 later.
 */
export function errorResponse(
  id: JSONRPCID,
  code: number,
  message: string,
  data?: unknown,
): JSONRPCResponse {
  const error: { code: number; message: string; data?: unknown } = { code, message };
  if (data !== undefined && data !== null) error.data = data;
  return { jsonrpc: "2.0", id, error };
}

/** Whether `id` may be a request's id: a string, a number or null (JSON-RPC 2.0). */
function isJsonRpcId(id: unknown): id is JSONRPCID {
  return typeof id === "string" || typeof id === "number" || id === null;
}

/** JSON text of a reply; a reply that cannot be serialised becomes an Internal error. */
export function serialise(response: JSONRPCResponse, onError: (message: string) => void): string {
  try {
    return JSON.stringify(response);
  } catch (e) {
    onError(`cannot serialise a reply: ${String(e)}`);
    return JSON.stringify(
      errorResponse(response.id, ERROR_CODES.Internal, errorMessage("Internal")),
    );
  }
}

/**
 * An Invalid Request answer for what is not a request object, or whose `id` is not a string, a
 * number or null (JSON-RPC 2.0 docs/events.md#expressions; such an id is never echoed: the answer's
 * id is null), or whose `method` is not a string. `null` when the request is well-formed.
 */
export function checkRequest(request: unknown): JSONRPCResponse | null {
  if (typeof request !== "object" || request === null || Array.isArray(request)) {
    return invalidRequest(null, "not a request object");
  }
  const r = request as Record<string, unknown>;
  if ("id" in r && !isJsonRpcId(r.id)) {
    return invalidRequest(null, "id must be a string, a number or null");
  }
  if (typeof r.method !== "string") {
    return invalidRequest((r.id ?? null) as JSONRPCID, "method must be a string");
  }
  return null;
}

export function invalidRequest(id: JSONRPCID, detail: string): JSONRPCResponse {
  return errorResponse(
    id,
    ERROR_CODES.InvalidRequest,
    errorMessage("InvalidRequest", { detail }),
  );
}

/**
 * Answers a batch one element at a time, each reply serialised and queued on its own: a batch's
 * reply is never one string, and the reply queue's back-pressure holds the batch when the client
 * does not read. Nothing is written when every element is a notification.
 */
export async function streamBatch(
  elements: readonly unknown[],
  handleOne: (element: unknown) => Promise<JSONRPCResponse | null>,
  out: Output,
): Promise<void> {
  let release: (() => void) | null = null;
  try {
    for (const element of elements) {
      if (out.replies.failed !== null) return;
      const response = await handleOne(element);
      if (response === null) continue;
      const text = serialise(response, out.onError);
      if (release === null) {
        release = await out.acquire();
        await out.replies.below(REPLY_HIGH_WATER);
        out.replies.push(encoder.encode(`[${text}`));
      } else {
        await out.replies.below(REPLY_HIGH_WATER);
        out.replies.push(encoder.encode(`,${text}`));
      }
    }
    if (release !== null) out.replies.push(encoder.encode("]\n"));
  } finally {
    release?.();
  }
}
