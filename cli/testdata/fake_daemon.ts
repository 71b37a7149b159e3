/**
 * A stand-in daemon for the CLI's end-to-end tests: answers JSON-RPC lines on
 * a unix socket with fixed data, and prints `ready` once listening.
 *
 * Usage: `fake_daemon.ts SOCKET MODE`, MODE one of
 * - `normal`: one write per answer;
 * - `chunked`: answers split into 7-byte writes;
 * - `hangup`: closes the connection on the first request, without answering;
 * - `garbage`: answers with a line that is not JSON.
 *
 * `job.usage` answers with its params as JSON, so tests can see what was sent.
 *
 * @module
 */

const [path, mode = "normal"] = Deno.args;
if (path === undefined) throw new Error("usage: fake_daemon.ts SOCKET MODE");

const encoder = new TextEncoder();
const JOBS = Array.from({ length: 500 }, (_, i) => {
  const job = `job${String(499 - i).padStart(3, "0")}`;
  return {
    job,
    instances: i % 2 === 0 ? [] : [{
      job,
      instance: "",
      goal: "start",
      state: "running",
      processes: [{ process: "main", pid: 1000 + i }],
    }],
  };
});

type Answer = { result: unknown } | { error: { code: number; message: string } };

function answer(method: string, params: Record<string, unknown>): Answer {
  switch (method) {
    case "daemon.version":
      return { result: { upstart: "1.13.2", daybreak: "0.1.0-fake", protocol: 1 } };
    case "job.list":
      return { result: { jobs: JOBS } };
    case "job.usage":
      return { result: { usage: JSON.stringify(params) } };
    case "job.start":
    case "job.status":
      if (params.job === "nosuch") {
        return { error: { code: -32001, message: `Unknown job: ${params.job}` } };
      }
      return {
        result: {
          status: {
            job: params.job,
            instance: params.instance ?? "",
            goal: "start",
            state: "running",
            processes: [{ process: "main", pid: 42 }],
          },
        },
      };
    default:
      return { error: { code: -32601, message: `Method not found: ${method}` } };
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  while (bytes.length > 0) bytes = bytes.subarray(await conn.write(bytes));
}

async function serve(conn: Deno.Conn): Promise<void> {
  const decoder = new TextDecoder();
  const chunk = new Uint8Array(65536);
  let buffered = "";
  for (;;) {
    const n = await conn.read(chunk);
    if (n === null) break;
    buffered += decoder.decode(chunk.subarray(0, n));
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const request = JSON.parse(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
      if (mode === "hangup") {
        conn.close();
        return;
      }
      const line = mode === "garbage" ? "this is not json\n" : `${
        JSON.stringify({
          jsonrpc: "2.0",
          id: request.id,
          ...answer(request.method, request.params ?? {}),
        })
      }\n`;
      const bytes = encoder.encode(line);
      if (mode === "chunked") {
        for (let i = 0; i < bytes.length; i += 7) {
          await writeAll(conn, bytes.subarray(i, i + 7));
          if (i % 700 === 0) await new Promise((r) => setTimeout(r, 0));
        }
      } else {
        await writeAll(conn, bytes);
      }
    }
  }
  conn.close();
}

const listener = Deno.listen({ transport: "unix", path });
Deno.stdout.writeSync(encoder.encode("ready\n"));
for await (const conn of listener) serve(conn).catch(() => conn.close());
