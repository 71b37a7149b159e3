/**
 * Handlers of `daemon.timeline` and `job.details` (see `protocol/methods.ts`):
 * they read what `daemon/observe.ts` recorded. See docs/seeing.md.
 *
 * @module
 */

import type { Observed } from "../observe.ts";
import type { SeeingMethod } from "../../protocol/methods.ts";
import type { CallContext, RpcHandlers } from "./server.ts";

/** The existing handlers these build on. */
export type BaseHandlers = Pick<RpcHandlers, "job.status" | "job.logPath">;

/**
 * Builds the handlers.
 *
 * @param o what the daemon observed
 * @param base the status and log-path handlers
 * @returns the handlers
 */
export function seeingHandlers(o: Observed, base: BaseHandlers): Pick<RpcHandlers, SeeingMethod> {
  const wall = (t: number) => o.timeline.wallOrigin + (t - o.timeline.origin);
  return {
    "daemon.timeline": () => ({
      origin: o.timeline.origin,
      wallOrigin: o.timeline.wallOrigin,
      now: o.now(),
      dropped: o.timeline.dropped,
      transitions: o.timeline.entries().map((t) => ({ ...t })),
    }),
    "job.details": async (p, ctx: CallContext) => {
      const { status } = await base["job.status"](p, ctx);
      let logPath: string | null = null;
      try {
        logPath = (await base["job.logPath"](p, ctx)).path;
      } catch { /* no log is no detail */ }
      const f = o.stats.get(status.job, status.instance);
      const now = o.now();
      const exit = f?.lastExit ?? null;
      return {
        status,
        details: {
          startedAt: f?.startingAt == null ? null : wall(f.startingAt),
          uptimeMs: f?.runningAt == null || status.state !== "running" ? null : now - f.runningAt,
          startDurationMs: f?.startDurationMs ?? null,
          respawns: f?.respawns ?? 0,
          lastExit: exit === null ? null : {
            process: exit.process,
            pid: exit.pid,
            code: "code" in exit.status ? exit.status.code : null,
            signal: "signal" in exit.status ? exit.status.signal : null,
            at: wall(exit.at),
          },
          startEvents: [...(f?.startEvents ?? [])],
          logPath,
        },
      };
    },
  };
}
