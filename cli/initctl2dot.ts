/**
 * `initctl2dot [OPTION]...`: Upstart's tool under its own name — the event
 * graph of the daemon's jobs (or of `initctl show-config -e` output read from
 * a file) written as Graphviz DOT to `upstart.dot` or `--outfile`. See
 * docs/seeing.md#initctl2dot.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { DEFAULT_COLORS, type DotColors, renderDot } from "./graph/dot.ts";
import {
  buildEventGraph,
  type GraphJob,
  graphJobFromConfig,
  parseShowConfigText,
  type ShowConfigJob,
} from "./graph/event_graph.ts";

const COLOR_OPTIONS: Readonly<Record<string, keyof DotColors>> = {
  "color-emits": "emits",
  "color-start-on": "startOn",
  "color-stop-on": "stopOn",
  "color-event": "event",
  "color-text": "text",
  "color-bg": "bg",
  "color-event-text": "eventText",
  "color-job-text": "jobText",
  "color-job": "job",
};

/** The `--help` text. */
export const HELP = `Usage: initctl2dot [OPTION]...
Convert initctl(8) output to GraphViz dot(1) format. With no options, the
running daemon's jobs are read (through initctl) and written to upstart.dot.

Options:
  -h, --help                       display this help and exit
  -f, --infile=FILE                read \`initctl show-config -e' output from FILE
                                   (- for standard input) instead of asking the daemon
  -w, -o, --outfile=FILE           write to FILE (- for standard output; default upstart.dot)
  -r, --restrict-to-jobs=JOBS      draw the conditions of these comma-separated jobs only
      --user, --system, --socket=PATH
                                   which daemon to ask (passed to initctl)
${
  Object.entries(COLOR_OPTIONS).map(([o, k]) =>
    `      --${o}=COLOR`.padEnd(35) + `colour of ${k} (default ${DEFAULT_COLORS[k]})`
  ).join("\n")
}
`;

/** What `main()` needs from the outside. */
export interface Initctl2dotIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly readFile: (path: string) => Promise<string>;
  readonly readStdin: () => Promise<string>;
  readonly writeFile: (path: string, text: string) => Promise<void>;
  /** Runs `initctl ARGS...`; resolves with its exit code, stdout and stderr. */
  readonly initctl: (args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;
}

/**
 * Runs initctl2dot.
 *
 * @param argv the arguments
 * @param io the outside world
 * @returns the exit status
 */
export async function main(argv: readonly string[], io: Initctl2dotIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: "boolean", short: "h" },
        infile: { type: "string", short: "f" },
        outfile: { type: "string", short: "w" },
        output: { type: "string", short: "o" },
        "restrict-to-jobs": { type: "string", short: "r" },
        user: { type: "boolean" },
        system: { type: "boolean" },
        socket: { type: "string" },
        ...Object.fromEntries(Object.keys(COLOR_OPTIONS).map((o) => [o, { type: "string" }])),
      },
    }));
  } catch (e) {
    io.err(`initctl2dot: ${e instanceof Error ? e.message : String(e)}\n`);
    io.err("Try `initctl2dot --help' for more information.\n");
    return 1;
  }
  if (values.help === true) {
    io.out(HELP);
    return 0;
  }
  const colors: Record<string, string> = { ...DEFAULT_COLORS };
  for (const [option, key] of Object.entries(COLOR_OPTIONS)) {
    const v = (values as Record<string, unknown>)[option];
    if (typeof v === "string") colors[key] = v;
  }
  let jobs: GraphJob[];
  try {
    jobs = await readJobs(values, io);
  } catch (e) {
    io.err(`initctl2dot: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  const restrict = typeof values["restrict-to-jobs"] === "string"
    ? values["restrict-to-jobs"].split(",").filter((j) => j !== "")
    : [];
  const dot = renderDot(buildEventGraph(jobs, { only: restrict }), colors as unknown as DotColors);
  const outfile = values.outfile ?? values.output ?? "upstart.dot";
  if (outfile === "-") {
    io.out(dot);
    return 0;
  }
  try {
    await io.writeFile(outfile, dot);
  } catch (e) {
    io.err(`initctl2dot: ${outfile}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  return 0;
}

async function readJobs(
  values: { infile?: string; user?: boolean; system?: boolean; socket?: string },
  io: Initctl2dotIo,
): Promise<GraphJob[]> {
  if (values.infile !== undefined) {
    const text = values.infile === "-" ? await io.readStdin() : await io.readFile(values.infile);
    try {
      return parseShowConfigText(text);
    } catch (e) {
      throw new Error(`${values.infile}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const args = [
    ...(values.user === true ? ["--user"] : []),
    ...(values.system === true ? ["--system"] : []),
    ...(values.socket === undefined ? [] : ["--socket", values.socket]),
    "show-config",
    "--json",
  ];
  const r = await io.initctl(args);
  if (r.code !== 0) throw new Error(`initctl show-config failed: ${r.stderr.trim()}`);
  const parsed = JSON.parse(r.stdout) as { jobs: ShowConfigJob[] };
  return parsed.jobs.map(graphJobFromConfig);
}

if (import.meta.main) {
  const encoder = new TextEncoder();
  const initctl = new URL("../bin/initctl", import.meta.url).pathname;
  const code = await main(Deno.args, {
    out: (t) => void Deno.stdout.writeSync(encoder.encode(t)),
    err: (t) => void Deno.stderr.writeSync(encoder.encode(t)),
    readFile: (p) => Deno.readTextFile(p),
    readStdin: () => new Response(Deno.stdin.readable).text(),
    writeFile: (p, t) => Deno.writeTextFile(p, t),
    initctl: async (args) => {
      const out = await new Deno.Command(initctl, { args, stdin: "null" }).output();
      const d = new TextDecoder();
      return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
    },
  });
  Deno.exit(code);
}
