/**
 * The methods behind `initctl timeline` and `initctl status --verbose`: their
 * zod schemas, merged into the method table of `protocol.ts`. See
 * docs/seeing.md and docs/rpc.md.
 *
 * @module
 */

import { z } from "zod";
import { PROCESS_NAMES } from "../../parser/types.ts";

const jobName = z.string().min(1).max(4096);
const envList = z.array(z.string().max(65536)).max(4096);

/** One recorded state change; `t` is monotonic ms (compare with `now`). */
export const TransitionJson = z.object({
  seq: z.number().int(),
  t: z.number(),
  job: z.string(),
  instance: z.string(),
  from: z.string(),
  to: z.string(),
  goal: z.enum(["start", "stop"]),
  cause: z.string().nullable(),
});

/** The extra facts `status --verbose` shows. Times are wall-clock ms since the epoch. */
export const InstanceDetails = z.object({
  startedAt: z.number().nullable(),
  uptimeMs: z.number().nullable(),
  startDurationMs: z.number().nullable(),
  respawns: z.number().int(),
  lastExit: z.object({
    process: z.enum(PROCESS_NAMES),
    pid: z.number().int(),
    code: z.number().int().nullable(),
    signal: z.number().int().nullable(),
    at: z.number(),
  }).nullable(),
  startEvents: z.array(z.string()),
  logPath: z.string().nullable(),
});

/** The methods. */
export const SEEING_METHODS = {
  "daemon.timeline": {
    params: z.object({}).default({}),
    result: z.object({
      /** Monotonic ms of the daemon's start, and the wall clock then. */
      origin: z.number(),
      wallOrigin: z.number(),
      now: z.number(),
      /** Changes dropped from the front for lack of room. */
      dropped: z.number().int(),
      transitions: z.array(TransitionJson),
    }),
  },
  "job.details": {
    params: z.object({
      job: jobName,
      env: envList.default([]),
      instance: z.string().max(4096).optional(),
    }),
    result: z.object({
      status: z.object({
        job: z.string(),
        instance: z.string(),
        goal: z.enum(["start", "stop"]),
        state: z.string(),
        processes: z.array(z.object({ process: z.enum(PROCESS_NAMES), pid: z.number().int() })),
      }),
      details: InstanceDetails,
    }),
  },
} as const;

/** The names of these methods. */
export type SeeingMethod = keyof typeof SEEING_METHODS;
