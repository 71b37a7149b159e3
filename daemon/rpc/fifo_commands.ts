/**
 * What the command FIFO's lines do (see docs/pid1.md#the-command-fifo): each goes through the
 * same code as the tool it stands for, on behalf of root (only root can open the FIFO). `emit`
 * is the control socket's `event.emit` request with `wait: false`, sent to the same dispatcher
 * (its zod schema, authorisation and handler); `telinit` runs compat_sysv/telinit.ts, whose
 * requests go to that dispatcher in-process, not through a socket. Output that the tool would
 * print goes to the daemon's log instead.
 *
 * @module
 */

import type { ParamsIn, Result } from "../../protocol/methods.ts";
import type { Method } from "../../protocol/methods.ts";
import { RpcError } from "../../protocol/errors.ts";
import type { RpcClient } from "../../protocol/client.ts";
import { telinit, type TelinitDeps } from "../../compat_sysv/telinit.ts";
import type { LogPriority } from "../options.ts";
import type { CallContext, RequestDispatcher, RpcHandlers } from "./server.ts";
import type { FifoRequest } from "./fifo_protocol.ts";

/** The caller of every FIFO line: root (the FIFO is root's, mode 0600); no process known. */
const ROOT_CALLER = { pid: 0, uid: 0, gid: 0 } as const;

/** What the FIFO's commands need. */
export interface FifoCommandDeps {
  /** The control socket's dispatcher (validation, authorisation, handlers). */
  readonly dispatcher: RequestDispatcher;
  readonly log: (priority: LogPriority, message: string) => void;
  /** telinit's clock, kernel release and utmp store (the real ones in the daemon). */
  readonly telinit: Pick<TelinitDeps, "now" | "kernelRelease" | "store" | "utmpPath" | "wtmpPath">;
}

/** An RPC client that calls the dispatcher in-process, as root. */
export function inProcessClient(dispatcher: FifoCommandDeps["dispatcher"]): RpcClient {
  let id = 0;
  const ctx: CallContext = { peer: ROOT_CALLER, signal: new AbortController().signal };
  return {
    async call<M extends Method>(method: M, params: ParamsIn<M>): Promise<Result<M>> {
      const request = { jsonrpc: "2.0" as const, id: ++id, method, params };
      const response = await dispatcher.receive(request, ctx);
      if (response === null) throw new RpcError("Internal", "no answer");
      if ("error" in response && response.error !== undefined) {
        const { code, message, data } = response.error;
        throw new RpcError(code, message, data);
      }
      return (response as { result: Result<M> }).result;
    },
    close() {},
  };
}

/**
 * The handler of the FIFO's requests.
 *
 * @param deps the dispatcher, the log and telinit's world
 * @returns a function handling one request; it logs failures and never throws
 */
export function fifoCommands(deps: FifoCommandDeps): (request: FifoRequest) => Promise<void> {
  const client = inProcessClient(deps.dispatcher);
  return async (request) => {
    if (request.kind === "emit") {
      try {
        await client.call("event.emit", { name: request.name, env: [...request.env], wait: false });
      } catch (e) {
        deps.log("warn", `initctl.fifo: emit ${request.name}: ${(e as Error).message}`);
      }
      return;
    }
    // telinit prints its own errors (as "telinit: ..."): they go to the log.
    const lines = (priority: LogPriority) => (text: string) => {
      for (const line of text.split("\n")) if (line !== "") deps.log(priority, line);
    };
    await telinit(request.args, {
      ...deps.telinit,
      env: { RUNLEVEL: request.runlevel },
      uid: 0,
      connect: () => Promise.resolve(client),
      io: { out: lines("info"), err: lines("warn") },
    });
  };
}

/** How long a socket request waits for the FIFO's earlier lines at most. */
export const CATCH_UP_LIMIT_MS = 2000;

/**
 * The handlers the control socket uses once there is a FIFO: each first waits for the FIFO's
 * lines written before it (a script's `initctl emit --no-wait A` then `initctl status B` sees A
 * handled first, as when both went through the socket), but never more than `limitMs`: a line
 * stuck on a slow file system (telinit's utmp) must not stall the socket.
 *
 * @param handlers the daemon's handlers
 * @param fifo the open FIFO
 * @param limitMs the longest wait
 * @returns the same handlers, each after `fifo.caughtUp()`
 */
export function afterFifo(
  handlers: RpcHandlers,
  fifo: { caughtUp(): Promise<void> },
  limitMs = CATCH_UP_LIMIT_MS,
): RpcHandlers {
  const wrapped: Record<string, unknown> = {};
  for (const [method, handler] of Object.entries(handlers)) {
    const h = handler as (p: unknown, c: CallContext) => unknown;
    wrapped[method] = async (p: unknown, c: CallContext) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        fifo.caughtUp(),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, limitMs))),
      ]);
      clearTimeout(timer);
      return await h(p, c);
    };
  }
  return wrapped as RpcHandlers;
}
