/**
 * The JSON-RPC dispatcher of the control socket (`server.ts`): every request's params are
 * validated against its zod schema (`protocol/schemas.ts`), the caller is authorised, and the
 * handler is called; protocol errors become answers, anything else an Internal error.
 *
 * zod and json-rpc-2.0 load with this module, which costs tens of milliseconds
 * (docs/platform.md#start-up-costs), so the daemon imports it only once it has started (see
 * `Daemon.start`): the control socket listens before, and a request that arrives first waits.
 *
 * @module
 */

import { createJSONRPCErrorResponse, JSONRPCErrorException, JSONRPCServer } from "json-rpc-2.0";
import { ERROR_CODES, errorMessage, RpcError } from "../../protocol/errors.ts";
import type { Method } from "../../protocol/methods.ts";
import { METHODS } from "../../protocol/schemas.ts";
import type { Authorizer, CallContext, RpcHandlers } from "./server.ts";

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
