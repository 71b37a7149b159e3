/**
 * A raw control-socket client for tests: sends any bytes, reads newline-delimited JSON answers.
 *
 * @module
 */

import { readStatus } from "../../sys/procfs.ts";

const encoder = new TextEncoder();

/** A raw connection reading newline-delimited JSON responses. */
export class RawClient implements AsyncDisposable {
  readonly #conn: Deno.UnixConn;
  #buffer = "";
  readonly #decoder = new TextDecoder();
  #closed = false;

  private constructor(conn: Deno.UnixConn) {
    this.#conn = conn;
  }

  /** Connects to a daemon's control socket (or any socket path). */
  static async connect(d: { readonly socket: string } | string): Promise<RawClient> {
    const path = typeof d === "string" ? d : d.socket;
    return new RawClient(await Deno.connect({ transport: "unix", path }));
  }

  async send(text: string | Uint8Array): Promise<void> {
    let bytes = typeof text === "string" ? encoder.encode(text) : text;
    while (bytes.length > 0) bytes = bytes.subarray(await this.#conn.write(bytes));
  }

  /** The next response line, parsed; null when the daemon closed the connection. */
  async response(): Promise<unknown> {
    const buf = new Uint8Array(65536);
    // Pieces joined once: searching one growing string flattens it at every read (quadratic).
    const parts: string[] = [this.#buffer];
    for (;;) {
      const last = parts[parts.length - 1]!;
      const nl = last.indexOf("\n");
      if (nl >= 0) {
        const line = parts.slice(0, -1).join("") + last.slice(0, nl);
        this.#buffer = last.slice(nl + 1);
        return JSON.parse(line);
      }
      const n = await this.#conn.read(buf);
      if (n === null) return null;
      parts.push(this.#decoder.decode(buf.subarray(0, n), { stream: true }));
    }
  }

  /** Shuts down the sending side; responses can still be read. */
  async closeWrite(): Promise<void> {
    await this.#conn.closeWrite();
  }

  /** Sends one line and returns the response to it. */
  async call(line: string): Promise<unknown> {
    await this.send(`${line}\n`);
    return await this.response();
  }

  [Symbol.asyncDispose](): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#conn.close();
      } catch { /* closed by the daemon */ }
    }
    return Promise.resolve();
  }
}

/** A process's resident memory in KiB (`VmRSS` of /proc/PID/status), or null when gone. */
export function rssKiB(pid: number): number | null {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readStatus(pid) ?? "");
  return m === null ? null : Number(m[1]);
}
