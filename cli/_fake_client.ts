/**
 * Test helpers: an in-memory `RpcClient` answering from per-method handlers
 * and recording every call, and `runInitctl()`, which runs `main()` with it.
 *
 * @module
 */

import type { Method, ParamsIn, Result } from "../protocol/methods.ts";
import type { ErrorName } from "../protocol/errors.ts";
import { type RpcClient, RpcError } from "../protocol/client.ts";
import type { CliEnv } from "./context.ts";
import { type InitctlOptions, main } from "./initctl.ts";
import { RecordingOutput } from "./io.ts";

/** Answers one method; may throw an `RpcError`. */
export type Handler<M extends Method> = (params: ParamsIn<M>) => Result<M> | Promise<Result<M>>;

/** Handlers by method; a call to a method without one fails with -32601. */
export type Handlers = { [M in Method]?: Handler<M> };

/** One recorded call. */
export interface RecordedCall {
  readonly method: Method;
  readonly params: unknown;
}

/** An in-memory client. */
export class FakeClient implements RpcClient {
  /** Every call, in order. */
  readonly calls: RecordedCall[] = [];
  /** Whether `close()` was called. */
  closed = false;
  readonly #handlers: Handlers;

  /** @param handlers how to answer each method */
  constructor(handlers: Handlers = {}) {
    this.#handlers = handlers;
  }

  async call<M extends Method>(method: M, params: ParamsIn<M>): Promise<Result<M>> {
    this.calls.push({ method, params: structuredClone(params) });
    const handler = this.#handlers[method] as Handler<M> | undefined;
    if (handler === undefined) throw new RpcError("MethodNotFound", `Method not found: ${method}`);
    return await handler(params);
  }

  close(): void {
    this.closed = true;
  }
}

/**
 * An `RpcError` with a named code.
 *
 * @param name the code's name
 * @param message the daemon's message
 * @returns the error
 */
export function rpcError(name: ErrorName, message: string): RpcError {
  return new RpcError(name, message);
}

/** What `runInitctl()` observed. */
export interface RunResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly calls: RecordedCall[];
}

/** Options of `runInitctl()`. */
export interface RunOptions extends Partial<Omit<InitctlOptions, "io" | "client" | "env">> {
  readonly handlers?: Handlers;
  readonly env?: CliEnv;
}

/**
 * Runs `main()` with a `FakeClient` and records the outcome.
 *
 * @param argv the arguments
 * @param options handlers, program name (default `initctl`), environment, …
 * @returns exit status, output and calls
 */
export async function runInitctl(
  argv: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const io = new RecordingOutput();
  const client = new FakeClient(options.handlers);
  const { handlers: _, env, progName, ...rest } = options;
  const status = await main(argv, {
    ...rest,
    io,
    client,
    progName: progName ?? "initctl",
    env: env ?? {},
  });
  return { status, stdout: io.stdout, stderr: io.stderr, calls: client.calls };
}
