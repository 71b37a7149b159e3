/**
 * `start on` / `stop on` event expressions (see docs/events.md#grammar), parsed the way Upstart's
 * `parse_on` does: an operator stack, one precedence level, groups that may span lines.
 *
 * @module
 */

import { Lexer } from "./_tokenizer.ts";
import type { EventExpr, MatchArg } from "./types.ts";

const LP = 40;
const RP = 41;

interface MatchNode {
  readonly kind: "match";
  readonly event: string;
  readonly args: MatchArg[];
}

interface OperatorNode {
  readonly kind: "and" | "or";
  readonly left: Node;
  right: Node | null;
}

type Node = MatchNode | OperatorNode;

/** `null` on the stack marks an open parenthesis. */
type StackItem = Node | null;

/**
 * Splits an event argument: positional, or named at the first `!=`, else the first `=`.
 *
 * @param text The dequoted argument.
 * @returns The match argument.
 */
export function toMatchArg(text: string): MatchArg {
  const ne = text.indexOf("!=");
  if (ne >= 0) {
    return { kind: "named", name: text.slice(0, ne), op: "!=", value: text.slice(ne + 2) };
  }
  const eq = text.indexOf("=");
  if (eq >= 0) {
    return { kind: "named", name: text.slice(0, eq), op: "=", value: text.slice(eq + 1) };
  }
  return { kind: "positional", value: text };
}

/** Upstart's operator stack (`parse_on_operator`, `_paren`, `_operand`, `_collect`). */
class ExprBuilder {
  readonly #lex: Lexer;
  readonly #stack: StackItem[] = [];
  #root: Node | null = null;

  constructor(lex: Lexer) {
    this.#lex = lex;
  }

  get open(): boolean {
    return this.#stack.length > 0;
  }

  /** Folds the stack down to the nearest open parenthesis into `#root`. */
  collect(line: number, pos: number): Node {
    const stack = this.#stack;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top === null || top === undefined) break;
      stack.pop();
      if (top.kind !== "match") {
        if (this.#root === null) this.#lex.fail("EXPECTED_EVENT", line, pos);
        top.right = this.#root;
      } else if (this.#root !== null) {
        this.#lex.fail("EXPECTED_OPERATOR", line, pos);
      }
      this.#root = top;
    }
    if (this.#root === null) this.#lex.fail("EXPECTED_EVENT", line, pos);
    return this.#root;
  }

  operator(kind: "and" | "or", line: number, pos: number): void {
    const left = this.collect(line, pos);
    this.#root = null;
    this.#stack.push({ kind, left, right: null });
  }

  openParen(line: number, pos: number): void {
    const top = this.#stack[this.#stack.length - 1];
    if (this.#root !== null || (top != null && top.kind === "match")) {
      this.#lex.fail("EXPECTED_OPERATOR", line, pos);
    }
    this.#stack.push(null);
  }

  closeParen(line: number, pos: number): void {
    this.collect(line, pos);
    if (this.#stack.length === 0) this.#lex.fail("MISMATCHED_PARENS", line, pos);
    this.#stack.pop();
  }

  operand(text: string, pos: number): void {
    const top = this.#stack[this.#stack.length - 1];
    if (top == null || top.kind !== "match") {
      this.#stack.push({ kind: "match", event: text, args: [] });
      return;
    }
    const arg = toMatchArg(text);
    const last = top.args[top.args.length - 1];
    if (arg.kind === "positional" && last !== undefined && last.kind === "named") {
      this.#lex.fail("EXPECTED_VARIABLE", this.#lex.line, pos);
    }
    top.args.push(arg);
  }
}

function needsDequote(raw: string): boolean {
  return raw.includes('"') || raw.includes("'") || raw.includes("\\");
}

/**
 * Parses an event expression at the lexer's cursor (just after `on`), leaving the cursor past
 * the expression's last line.
 *
 * @param lex The lexer, positioned after `start on`/`stop on`.
 * @returns The expression tree.
 * @throws {JobSyntaxError} On any grammar or lexical error, at Upstart's position.
 */
export function parseOn(lex: Lexer): EventExpr {
  const expr = new ExprBuilder(lex);
  let depth = 0;
  let line = lex.line;
  let pos = lex.pos;
  do {
    lex.skipWhitespace();
    do {
      line = lex.line;
      pos = lex.pos;
      const c = lex.peek();
      if (c === LP || c === RP) {
        if (c === LP) {
          depth++;
          expr.openParen(line, pos);
        } else {
          depth--;
          expr.closeParen(line, pos);
        }
        lex.pos++;
        lex.skipWhitespace();
      } else {
        // Operators are compared raw, so a quoted "and" is an ordinary operand.
        const raw = lex.token(false, true);
        if (raw === "and" || raw === "or") {
          expr.operator(raw, line, pos);
        } else if (needsDequote(raw)) {
          lex.pos = pos;
          lex.line = line;
          expr.operand(lex.token(true, true), pos);
        } else {
          expr.operand(raw, pos);
        }
      }
    } while (lex.hasToken());
    lex.skipComment();
  } while (lex.pos < lex.len && depth > 0);

  const root = expr.collect(line, pos);
  // An unclosed group has swallowed the rest of the file by now.
  if (expr.open) lex.fail("MISMATCHED_PARENS", lex.line, lex.pos);
  return root as EventExpr;
}

/**
 * Parses a stand-alone event expression, as written after `start on`. Text after the
 * expression (other than blank or comment lines) is an `Unexpected token`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseEventExpr } from "./event_expr.ts";
 * assert.deepEqual(parseEventExpr("a or b"), {
 *   kind: "or",
 *   left: { kind: "match", event: "a", args: [] },
 *   right: { kind: "match", event: "b", args: [] },
 * });
 * ```
 *
 * @param text The expression.
 * @returns The expression tree.
 * @throws {JobSyntaxError} On any error; `file` is null.
 */
export function parseEventExpr(text: string): EventExpr {
  const lex = new Lexer(text);
  const expr = parseOn(lex);
  while (lex.pos < lex.len) {
    lex.skipSpaces();
    lex.skipComment();
  }
  return expr;
}
