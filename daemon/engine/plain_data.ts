/**
 * Copying and writing plain data (objects, arrays, strings, numbers, booleans, null) of any
 * depth without recursion, for the re-exec's engine snapshot (docs/reexec.md): it holds job
 * definitions, and a `start on` of 20,000 alternatives is a tree 20,000 deep, which overflows
 * the stack of `structuredClone` (and of `JSON.stringify` off its fast path). `JSON.parse` needs
 * no twin: V8's parser keeps its own stack.
 *
 * @module
 */

/** Whether `JSON.stringify` leaves this property out of an object. */
function omitted(v: unknown): boolean {
  return v === undefined || typeof v === "function" || typeof v === "symbol";
}

/**
 * A deep copy of plain data, as `structuredClone` makes it (an object reached twice is copied
 * once and shared), at any depth.
 *
 * @throws {TypeError} for what is not plain data (a Map, a Date, a class instance…)
 */
export function cloneDeep<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  const copies = new Map<object, Record<string, unknown>>();
  const copyOf = (o: object): Record<string, unknown> => {
    let c = copies.get(o);
    if (c === undefined) {
      const proto = Object.getPrototypeOf(o);
      if (!Array.isArray(o) && proto !== Object.prototype && proto !== null) {
        throw new TypeError(`cannot copy a ${o.constructor?.name ?? "non-plain object"}`);
      }
      c = (Array.isArray(o) ? [] : {}) as Record<string, unknown>;
      copies.set(o, c);
      work.push([o as Record<string, unknown>, c]);
    }
    return c;
  };
  const work: [Record<string, unknown>, Record<string, unknown>][] = [];
  const root = copyOf(value);
  while (work.length > 0) {
    const [from, to] = work.pop()!;
    for (const key of Object.keys(from)) {
      const v = from[key];
      to[key] = v !== null && typeof v === "object" ? copyOf(v) : v;
    }
  }
  return root as T;
}

type Work =
  | { readonly text: string }
  | { readonly value: unknown }
  | { readonly leave: object };

/**
 * The same text as `JSON.stringify(value)` for JSON-able data (objects, arrays, strings,
 * numbers, booleans, null, `toJSON`), at any depth.
 *
 * @throws {TypeError} on a cycle or a BigInt, as `JSON.stringify` does
 */
export function stringifyDeep(value: unknown): string {
  const out: string[] = [];
  const open = new Set<object>();
  const work: Work[] = [{ value }];
  while (work.length > 0) {
    const item = work.pop()!;
    if ("text" in item) {
      out.push(item.text);
      continue;
    }
    if ("leave" in item) {
      open.delete(item.leave);
      continue;
    }
    let v = item.value;
    if (v !== null && typeof v === "object" && "toJSON" in v && typeof v.toJSON === "function") {
      v = v.toJSON();
    }
    if (v === null || omitted(v)) out.push("null");
    else if (typeof v === "boolean") out.push(v ? "true" : "false");
    else if (typeof v === "number") out.push(Number.isFinite(v) ? JSON.stringify(v) : "null");
    else if (typeof v === "string") out.push(JSON.stringify(v));
    else if (typeof v === "bigint") throw new TypeError("Do not know how to serialize a BigInt");
    else {
      const o = v as Record<string, unknown>;
      if (open.has(o)) throw new TypeError("Converting circular structure to JSON");
      open.add(o);
      // Pushed in reverse: popped in order.
      const pieces: Work[] = [];
      if (Array.isArray(o)) {
        pieces.push({ text: "[" });
        o.forEach((e, i) => {
          if (i > 0) pieces.push({ text: "," });
          pieces.push({ value: e });
        });
        pieces.push({ text: "]" });
      } else {
        pieces.push({ text: "{" });
        let first = true;
        for (const key of Object.keys(o)) {
          if (omitted(o[key])) continue;
          pieces.push({ text: `${first ? "" : ","}${JSON.stringify(key)}:` }, { value: o[key] });
          first = false;
        }
        pieces.push({ text: "}" });
      }
      work.push({ leave: o });
      for (let i = pieces.length - 1; i >= 0; i--) work.push(pieces[i]!);
    }
  }
  return out.join("");
}
