/**
 * Measures how fast a daemon answers: a fresh connection and one `job.list` call, as `initctl
 * list` makes, given up after a deadline.
 *
 * @module
 */

import { connectSocket } from "../../protocol/client.ts";

/** One probe: how long the answer took, or null when none came within the deadline. */
export async function probeList(socket: string, deadlineMs = 1000): Promise<number | null> {
  const t0 = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((r) => (timer = setTimeout(() => r(null), deadlineMs)));
  let client: Awaited<ReturnType<typeof connectSocket>> | null = null;
  const call = (async () => {
    client = await connectSocket(socket);
    await client.call("job.list", {});
    return performance.now() - t0;
  })();
  try {
    return await Promise.race([call, late]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
    (client as { close(): void } | null)?.close();
    call.catch(() => {});
  }
}

/**
 * Probes every `intervalMs` for `durationMs`.
 *
 * @returns each probe's time (null: no answer within the deadline)
 */
export async function probeFor(
  socket: string,
  durationMs: number,
  intervalMs = 100,
  deadlineMs = 1000,
): Promise<(number | null)[]> {
  const out: (number | null)[] = [];
  const end = performance.now() + durationMs;
  while (performance.now() < end) {
    out.push(await probeList(socket, deadlineMs));
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return out;
}
