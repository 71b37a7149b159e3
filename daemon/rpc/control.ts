/**
 * What answers the control socket's requests: the handlers (`handlers.ts`, `seeing_handlers.ts`),
 * counted for the metrics, behind the dispatcher (`dispatcher.ts`: zod validation, then the
 * owner's authorisation, `authorize.ts`). The daemon imports this module only once its start-up
 * events are out, or for the first request (see `Daemon.start`): none of it is on the path to
 * its first job (docs/platform.md#start-up-costs).
 *
 * @module
 */

import type { JobClassSpec } from "../../parser/types.ts";
import { countedHandlers, type Observed } from "../observe.ts";
import { ownerAuthorizer } from "./authorize.ts";
import { createDispatcher } from "./dispatcher.ts";
import { createHandlers, type HandlerServices } from "./handlers.ts";
import { seeingHandlers } from "./seeing_handlers.ts";
import type { RequestDispatcher, RpcHandlers } from "./server.ts";

/** What {@linkcode controlDispatcher} needs besides the handlers' services. */
export interface ControlOptions {
  readonly observed: Observed;
  /** The socket's owner, as privileged as root (`Mode.socket.ownerUid`). */
  readonly ownerUid: number;
  /** The jobs loaded now. */
  readonly jobs: () => readonly JobClassSpec[];
  /** Called for unexpected handler failures (bugs). */
  readonly onInternalError: (method: string, error: unknown) => void;
  /** Wraps the counted handlers (the socket's wait for the command FIFO's earlier lines). */
  readonly wrap?: (handlers: RpcHandlers) => RpcHandlers;
}

/** The dispatcher of every method, over the handlers of `services`. */
export function controlDispatcher(
  services: HandlerServices,
  options: ControlOptions,
): RequestDispatcher {
  const base = createHandlers(services);
  const handlers = countedHandlers(
    { ...base, ...seeingHandlers(options.observed, base) },
    options.observed.rpc,
  );
  return createDispatcher(options.wrap?.(handlers) ?? handlers, {
    authorize: ownerAuthorizer(options.ownerUid, { jobs: options.jobs }),
    onInternalError: options.onInternalError,
  });
}
