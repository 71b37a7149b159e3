/**
 * Turns the daemon's recorded state changes into one bar per job instance
 * (segments: starting, pre-start, spawned, post-start, running, stopping,
 * post-stop) and finds the critical chain. Pure. See docs/seeing.md#the-timeline.
 *
 * @module
 */

/** One recorded state change, as `daemon.timeline` returns it (`t` in monotonic ms). */
export interface TimelineTransition {
  readonly seq: number;
  readonly t: number;
  readonly job: string;
  readonly instance: string;
  readonly from: string;
  readonly to: string;
  readonly goal: "start" | "stop";
  /** On leaving `starting`: the job whose job event started the instance, if one did. */
  readonly cause?: string | null;
}

/** What a bar's stretch of time was spent on. */
export type SegmentKind =
  | "starting"
  | "pre-start"
  | "spawned"
  | "post-start"
  | "running"
  | "stopping"
  | "post-stop";

const KIND_OF: Readonly<Record<string, SegmentKind>> = {
  starting: "starting",
  security: "starting",
  "pre-start": "pre-start",
  spawned: "spawned",
  "post-start": "post-start",
  running: "running",
  "pre-stop": "stopping",
  stopping: "stopping",
  killed: "stopping",
  "post-stop": "post-stop",
};

/** A stretch of one bar, times in ms since the timeline's origin. */
export interface Segment {
  readonly kind: SegmentKind;
  readonly start: number;
  readonly end: number;
}

/** One instance's life on the timeline. */
export interface Bar {
  readonly job: string;
  readonly instance: string;
  readonly segments: readonly Segment[];
  /** ms since origin of its first `running`; null if it never got there. */
  readonly readyAt: number | null;
  /** ms since origin of the `starting` that led to `readyAt` (or its first start). */
  readonly startAt: number;
  /** Still in a non-waiting state at `now`. */
  readonly open: boolean;
  /** The job whose job event started it (for `readyAt`'s start), if one did. */
  readonly cause: string | null;
}

/**
 * Bars from transitions, in order of their first start.
 *
 * @param transitions the changes, oldest first
 * @param origin monotonic ms that becomes 0
 * @param now monotonic ms where open bars end
 * @returns the bars
 */
export function buildBars(
  transitions: readonly TimelineTransition[],
  origin: number,
  now: number,
): Bar[] {
  const byInstance = new Map<string, TimelineTransition[]>();
  for (const t of transitions) {
    const k = `${t.job}\0${t.instance}`;
    const list = byInstance.get(k) ?? [];
    list.push(t);
    byInstance.set(k, list);
  }
  const bars: Bar[] = [];
  for (const list of byInstance.values()) {
    const first = list[0] as TimelineTransition;
    const segments: Segment[] = [];
    let readyAt: number | null = null;
    let startAt = first.t - origin;
    let cause: string | null = null;
    for (const [i, t] of list.entries()) {
      const kind = KIND_OF[t.to];
      const next = list[i + 1];
      const end = (next === undefined ? now : next.t) - origin;
      if (t.to === "starting" && readyAt === null) startAt = t.t - origin;
      if (t.to === "running" && readyAt === null) readyAt = t.t - origin;
      if (t.from === "starting" && readyAt === null) cause = t.cause ?? null;
      if (kind === undefined) continue; // waiting
      const last = segments.at(-1);
      if (last !== undefined && last.kind === kind && last.end === t.t - origin) {
        segments[segments.length - 1] = { kind, start: last.start, end };
      } else {
        segments.push({ kind, start: t.t - origin, end });
      }
    }
    const lastTo = (list.at(-1) as TimelineTransition).to;
    bars.push({
      job: first.job,
      instance: first.instance,
      segments,
      readyAt,
      startAt,
      open: lastTo !== "waiting",
      cause,
    });
  }
  return bars.sort((a, b) =>
    a.startAt - b.startAt || cmp(a.job, b.job) || cmp(a.instance, b.instance)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One link of the critical chain. */
export interface ChainLink {
  readonly job: string;
  readonly instance: string;
  /** ms since origin when it was running. */
  readonly readyAt: number;
  /** ms it took from starting to running. */
  readonly took: number;
}

/**
 * The critical chain: the instance that came up last, then the job whose job
 * event started it (`start on started db`), and so on, as
 * `systemd-analyze critical-chain` follows dependencies. The chain ends at an
 * instance started by another event or by hand. Of a cause's instances, the
 * one that came up last before the start is taken.
 *
 * @param bars the bars
 * @returns the chain, last-ready first
 */
export function criticalChain(bars: readonly Bar[]): ChainLink[] {
  const ready = bars.filter((b): b is Bar & { readyAt: number } => b.readyAt !== null);
  const latest = (list: (Bar & { readyAt: number })[]) =>
    list.reduce<(Bar & { readyAt: number }) | undefined>(
      (best, b) => (best === undefined || b.readyAt > best.readyAt ? b : best),
      undefined,
    );
  const chain: ChainLink[] = [];
  const used = new Set<Bar>();
  let link = latest(ready);
  while (link !== undefined && !used.has(link)) {
    used.add(link);
    chain.push({
      job: link.job,
      instance: link.instance,
      readyAt: link.readyAt,
      took: link.readyAt - link.startAt,
    });
    const { cause, startAt } = link;
    if (cause === null) break;
    const candidates = ready.filter((b) => b.job === cause);
    link = latest(candidates.filter((b) => b.readyAt <= startAt)) ?? latest(candidates);
  }
  return chain;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}

/**
 * The critical chain as text, `systemd-analyze critical-chain` style.
 *
 * @param chain the chain
 * @returns the text, ending in a newline
 */
export function formatCriticalChain(chain: readonly ChainLink[]): string {
  if (chain.length === 0) return "No job instance has reached running yet.\n";
  let out = 'The time when the instance was running is printed after "@", the time it took ' +
    'to start after "+".\n\n';
  for (const [i, link] of chain.entries()) {
    const name = link.instance === "" ? link.job : `${link.job} (${link.instance})`;
    const prefix = i === 0 ? "" : `${"  ".repeat(i - 1)}└─`;
    out += `${prefix}${name} @${seconds(link.readyAt)} +${seconds(link.took)}\n`;
  }
  return out;
}
