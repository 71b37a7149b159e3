/**
 * Matching events against `start on` / `stop on` expressions (see docs/events.md#matching,
 * docs/events.md#evaluation): one event against one `match` node, the state of a whole tree as
 * events arrive over time, and the environment the satisfying events give.
 *
 * Trees are compiled once per shape into flat arrays (a shared, immutable plan: the
 * `start on startup` of a thousand job files is one plan); each `EventExprState` then only owns
 * two small arrays, so copying a `stop on` tree into every new instance is cheap.
 *
 * @module
 */

import type { EventExpr, EventLike } from "../../parser/types.ts";
import { expand, ExpansionError } from "../../parser/expand.ts";
import { compileFnmatch, fnmatch, type FnmatchTest } from "../../parser/fnmatch.ts";

/** A `match` node of an event expression. */
export type MatchNode = Extract<EventExpr, { kind: "match" }>;

interface CompiledArg {
  /** Index of the event variable compared, or -1 for a named argument. */
  readonly position: number;
  /** `KEY=` prefix looked up in the event, for named arguments. */
  readonly prefix: string;
  readonly negate: boolean;
  readonly pattern: string;
  /** Set when the pattern has no `$`, so it can be compiled ahead of time. */
  readonly test: FnmatchTest | null;
}

interface CompiledLeaf {
  readonly event: string;
  readonly args: readonly CompiledArg[];
}

const NO_ENV: ReadonlyMap<string, string> = new Map();

function compileLeaf(node: MatchNode): CompiledLeaf {
  const args = node.args.map((arg, i): CompiledArg => {
    const test = arg.value.includes("$") ? null : compileFnmatch(arg.value);
    return arg.kind === "positional"
      ? { position: i, prefix: "", negate: false, pattern: arg.value, test }
      : {
        position: -1,
        prefix: `${arg.name}=`,
        negate: arg.op === "!=",
        pattern: arg.value,
        test,
      };
  });
  return { event: node.event, args };
}

/** The value of the variable an argument is compared with, or undefined when absent. */
function variableFor(arg: CompiledArg, env: readonly string[]): string | undefined {
  if (arg.position >= 0) {
    const entry = env[arg.position];
    if (entry === undefined) return undefined;
    const eq = entry.indexOf("=");
    return eq < 0 ? undefined : entry.slice(eq + 1);
  }
  for (const entry of env) {
    if (entry.startsWith(arg.prefix)) return entry.slice(arg.prefix.length);
  }
  return undefined;
}

function matchLeaf(
  leaf: CompiledLeaf,
  event: EventLike,
  env: ReadonlyMap<string, string> | null,
): boolean {
  if (leaf.event !== event.name) return false;
  for (const arg of leaf.args) {
    const value = variableFor(arg, event.env);
    // A missing variable fails even `K!=V`: the negation does not rescue it.
    if (value === undefined) return false;
    let matches: boolean;
    if (arg.test !== null) {
      matches = arg.test(value);
    } else {
      let pattern: string;
      try {
        pattern = expand(arg.pattern, env ?? NO_ENV);
      } catch (e) {
        if (e instanceof ExpansionError) return false;
        throw e;
      }
      matches = fnmatch(pattern, value);
    }
    if (matches === arg.negate) return false;
  }
  return true;
}

/**
 * Whether `event` satisfies one `match` node (see docs/events.md#matching).
 *
 * @param node the match node
 * @param event the emitted event
 * @param env variables for `$VAR` in patterns: the instance's environment for
 *   `stop on`, null for `start on` (plain `$NAME` then fails to expand)
 * @returns true on a match; an expansion failure is no match
 *
 * @example Usage
 * ```ts
 * import { matchEvent } from "./event_operator.ts";
 * const node = { kind: "match", event: "runlevel", args: [{ kind: "positional", value: "[2345]" }] } as const;
 * matchEvent(node, { name: "runlevel", env: ["RUNLEVEL=2", "PREVLEVEL=N"] }, null); // true
 * ```
 */
export function matchEvent(
  node: MatchNode,
  event: EventLike,
  env: ReadonlyMap<string, string> | null,
): boolean {
  let leaf = leafCache.get(node);
  if (leaf === undefined) {
    leaf = compileLeaf(node);
    leafCache.set(node, leaf);
  }
  return matchLeaf(leaf, event, env);
}

const leafCache = new WeakMap<MatchNode, CompiledLeaf>();

const MATCH = 0;
const AND = 1;
const OR = 2;

/**
 * The immutable, shared part of a compiled tree. Nodes are in post-order. Plain arrays rather
 * than typed arrays: a typed array costs an `ArrayBuffer` and a backing store besides itself,
 * several hundred bytes for the few nodes a job's expression has.
 */
interface Plan {
  readonly kinds: readonly number[];
  readonly left: readonly number[];
  readonly right: readonly number[];
  /** Compiled leaf per node index (undefined for operators). */
  readonly leaves: readonly (CompiledLeaf | undefined)[];
  /** Leaf node indexes in left-to-right order. */
  readonly leafNodes: readonly number[];
  /** Event name → leaf node indexes waiting for it. */
  readonly byName: ReadonlyMap<string, readonly number[]>;
  /** The distinct event names, shared by every tracker of the expression. */
  readonly names: ReadonlySet<string>;
  readonly root: number;
}

const plans = new WeakMap<EventExpr, Plan>();

/**
 * Plans by the expression's shape: every job file says `start on startup` (or `runlevel
 * [2345]`...) in an expression object of its own, and they all share one plan. Bounded: a
 * plan dropped here stays with the expressions that use it, only new ones stop sharing it.
 */
const plansByShape = new Map<string, Plan>();
const MAX_SHAPES = 1024;

function planFor(expr: EventExpr): Plan {
  const cached = plans.get(expr);
  if (cached !== undefined) return cached;
  // The post-order token list (reverse Polish notation) identifies the tree.
  const tokens: string[] = [];
  const kinds: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const matchNodes: (MatchNode | undefined)[] = [];
  // Iterative post-order so a pathological tree cannot overflow the stack.
  const stack: { node: EventExpr; l: number; stage: 0 | 1 | 2 }[] = [
    { node: expr, l: -1, stage: 0 },
  ];
  let last = -1;
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const node = frame.node;
    if (node.kind === "match") {
      stack.pop();
      last = kinds.length;
      kinds.push(MATCH);
      left.push(-1);
      right.push(-1);
      matchNodes.push(node);
      tokens.push(JSON.stringify([node.event, node.args]));
    } else if (frame.stage === 0) {
      frame.stage = 1;
      stack.push({ node: node.left, l: -1, stage: 0 });
    } else if (frame.stage === 1) {
      frame.l = last;
      frame.stage = 2;
      stack.push({ node: node.right, l: -1, stage: 0 });
    } else {
      stack.pop();
      const rightChild = last;
      last = kinds.length;
      kinds.push(node.kind === "and" ? AND : OR);
      left.push(frame.l);
      right.push(rightChild);
      matchNodes.push(undefined);
      tokens.push(node.kind);
    }
  }
  const shape = tokens.join("\n");
  let plan = plansByShape.get(shape);
  if (plan === undefined) {
    const leaves: (CompiledLeaf | undefined)[] = [];
    const leafNodes: number[] = [];
    const byName = new Map<string, number[]>();
    for (const [i, node] of matchNodes.entries()) {
      if (node === undefined) {
        leaves.push(undefined);
        continue;
      }
      leaves.push(compileLeaf(node));
      leafNodes.push(i);
      const list = byName.get(node.event);
      if (list === undefined) byName.set(node.event, [i]);
      else list.push(i);
    }
    plan = {
      kinds,
      left,
      right,
      leaves,
      leafNodes,
      byName,
      names: new Set(byName.keys()),
      root: kinds.length - 1,
    };
    if (plansByShape.size >= MAX_SHAPES) {
      plansByShape.delete(plansByShape.keys().next().value as string);
    }
    plansByShape.set(shape, plan);
  }
  plans.set(expr, plan);
  return plan;
}

/**
 * The names of every event an expression waits for, so that an engine can
 * index classes by event name and skip those an event cannot affect.
 *
 * @param expr an event expression
 * @returns the distinct event names of its leaves
 *
 * @example
 * ```ts
 * import { parseEventExpr } from "../../parser/event_expr.ts";
 * import { eventNames } from "./event_operator.ts";
 * eventNames(parseEventExpr("a and (b or a)")); // Set {"a", "b"}
 * ```
 */
export function eventNames(expr: EventExpr): Set<string> {
  return new Set(planFor(expr).names);
}

/**
 * {@linkcode eventNames} without the copy: one set shared by every expression of the same shape,
 * for holders that keep it (a job's `start on` tracker).
 *
 * @param expr an event expression
 * @returns the distinct event names of its leaves; never to be modified
 */
export function sharedEventNames(expr: EventExpr): ReadonlySet<string> {
  return planFor(expr).names;
}

/** What offering one event to an expression did. */
export interface OfferResult {
  /** Some leaf newly took the event (it is now held, docs/events.md#evaluation). */
  readonly matched: boolean;
  /** The whole expression is now true. */
  readonly fired: boolean;
}

// Shared results: offering is hot, so it allocates nothing.
const RESULTS: readonly OfferResult[] = [
  Object.freeze({ matched: false, fired: false }),
  Object.freeze({ matched: false, fired: true }),
  Object.freeze({ matched: true, fired: false }),
  Object.freeze({ matched: true, fired: true }),
];

/**
 * The evaluation state of one event expression over time (see docs/events.md#evaluation): each
 * leaf keeps the first event that satisfied it until `reset()`.
 *
 * @typeParam E the engine's event type, handed back by `trueEvents()` / `heldEvents()`
 *
 * @example Usage
 * ```ts
 * import { EventExprState } from "./event_operator.ts";
 * const state = new EventExprState({
 *   kind: "and",
 *   left: { kind: "match", event: "a", args: [] },
 *   right: { kind: "match", event: "b", args: [] },
 * });
 * state.offer({ name: "a", env: [] }, null); // { matched: true, fired: false }
 * state.offer({ name: "b", env: [] }, null); // { matched: true, fired: true }
 * ```
 */
export class EventExprState<E extends EventLike = EventLike> {
  readonly #plan: Plan;
  /** 0 or 1 per node. */
  readonly #values: number[];
  readonly #events: (E | undefined)[];
  #satisfied = 0;

  /** @param expr the expression to evaluate */
  constructor(expr: EventExpr) {
    this.#plan = planFor(expr);
    this.#values = new Array<number>(this.#plan.kinds.length).fill(0);
    this.#events = new Array<E | undefined>(this.#plan.kinds.length).fill(undefined);
  }

  /**
   * Offers an event to every unsatisfied leaf, then recomputes `and`/`or`.
   *
   * @param event the emitted event
   * @param env expansion variables for `$VAR` patterns (null for `start on`)
   * @returns whether a leaf took the event and whether the root is now true
   */
  offer(event: E, env: ReadonlyMap<string, string> | null): OfferResult {
    const plan = this.#plan;
    const candidates = plan.byName.get(event.name);
    let matched = false;
    if (candidates !== undefined) {
      for (const node of candidates) {
        if (this.#values[node] === 1) continue;
        if (!matchLeaf(plan.leaves[node]!, event, env)) continue;
        this.#values[node] = 1;
        this.#events[node] = event;
        this.#satisfied++;
        matched = true;
      }
    }
    if (matched) this.#recompute();
    return RESULTS[(matched ? 2 : 0) + this.#values[plan.root]!]!;
  }

  #recompute(): void {
    const { kinds, left, right } = this.#plan;
    const values = this.#values;
    for (let i = 0; i < kinds.length; i++) {
      const kind = kinds[i];
      if (kind === AND) values[i] = values[left[i]!]! & values[right[i]!]!;
      else if (kind === OR) values[i] = values[left[i]!]! | values[right[i]!]!;
    }
  }

  /** Whether the whole expression is true. */
  get value(): boolean {
    return this.#values[this.#plan.root] === 1;
  }

  /** Some leaf is satisfied but the expression as a whole is not. */
  get partial(): boolean {
    return this.#satisfied > 0 && !this.value;
  }

  /**
   * The events on the true branches, in left-to-right order, each once; events
   * held by leaves inside a false sub-branch are excluded (see docs/events.md#evaluation,
   * docs/behaviour.md#environment).
   *
   * @returns the events that made the expression true (empty when it is false)
   */
  trueEvents(): E[] {
    const { kinds, left, right, root } = this.#plan;
    const out: E[] = [];
    if (this.#values[root] !== 1) return out;
    const stack = [root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (this.#values[node] !== 1) continue;
      if (kinds[node] === MATCH) {
        const event = this.#events[node]!;
        if (!out.includes(event)) out.push(event);
      } else {
        stack.push(right[node]!, left[node]!);
      }
    }
    return out;
  }

  /**
   * Every event referenced by a satisfied leaf, in left-to-right order, each
   * once: these are blocked from completing until `reset()` (see docs/events.md#evaluation).
   *
   * @returns the held events
   */
  heldEvents(): E[] {
    const out: E[] = [];
    if (this.#satisfied === 0) return out;
    for (const node of this.#plan.leafNodes) {
      const event = this.#events[node];
      if (event !== undefined && !out.includes(event)) out.push(event);
    }
    return out;
  }

  /**
   * The evaluation state as plain data, for a re-exec (docs/reexec.md): each node's truth and,
   * for satisfied leaves, the event they took, mapped through `ref` (an event id, say).
   */
  exportState<R>(ref: (event: E) => R): { values: number[]; events: (R | null)[] } {
    const events = this.#events.map((e) => e === undefined ? null : ref(e));
    return { values: [...this.#values], events };
  }

  /**
   * Restores what {@linkcode exportState} gave, for the same expression.
   *
   * @throws {Error} when the state does not fit the expression
   */
  importState<R>(
    state: { values: readonly number[]; events: readonly (R | null)[] },
    resolve: (ref: R) => E,
  ): void {
    if (
      state.values.length !== this.#values.length || state.events.length !== this.#events.length
    ) {
      throw new Error("expression state does not fit the expression");
    }
    for (let i = 0; i < state.values.length; i++) this.#values[i] = state.values[i] === 1 ? 1 : 0;
    this.#satisfied = 0;
    for (let i = 0; i < state.events.length; i++) {
      const ref = state.events[i];
      this.#events[i] = ref === null || ref === undefined ? undefined : resolve(ref);
    }
    for (const node of this.#plan.leafNodes) if (this.#values[node] === 1) this.#satisfied++;
  }

  /** Makes every node false and drops every held event. */
  reset(): void {
    if (this.#satisfied === 0) return;
    this.#values.fill(0);
    this.#events.fill(undefined);
    this.#satisfied = 0;
  }
}

/** Options of `eventEnvironment()`. */
export interface EventEnvironmentOptions {
  /** Variable that lists the event names: `UPSTART_EVENTS` for start, `UPSTART_STOP_EVENTS` for stop. */
  readonly eventsVar: "UPSTART_EVENTS" | "UPSTART_STOP_EVENTS";
}

/**
 * The environment a set of events gives a start or stop (see docs/events.md#evaluation,
 * docs/behaviour.md#environment step 3(a)): every event's variables in order (a repeated key keeps
 * its first position and takes the later value), then `eventsVar=name1 name2…`.
 *
 * @param events the satisfying events, as from `trueEvents()`
 * @param options which variable lists the event names
 * @returns the `KEY=VALUE` list
 *
 * @example Usage
 * ```ts
 * import { eventEnvironment } from "./event_operator.ts";
 * eventEnvironment([{ name: "begin", env: ["A=1"] }], { eventsVar: "UPSTART_EVENTS" });
 * // ["A=1", "UPSTART_EVENTS=begin"]
 * ```
 */
export function eventEnvironment(
  events: readonly EventLike[],
  options: EventEnvironmentOptions,
): string[] {
  const out: string[] = [];
  const index = new Map<string, number>();
  const add = (entry: string) => {
    const eq = entry.indexOf("=");
    if (eq < 0) return;
    const key = entry.slice(0, eq);
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, out.length);
      out.push(entry);
    } else {
      out[at] = entry;
    }
  };
  for (const event of events) {
    for (const entry of event.env) add(entry);
  }
  add(`${options.eventsVar}=${events.map((e) => e.name).join(" ")}`);
  return out;
}
