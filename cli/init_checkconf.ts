/**
 * `init-checkconf [-s] [--json] [--upstart] FILE...`: checks job files offline (see
 * docs/tools.md#init-checkconf).
 *
 * Upstart started a throw-away session to load the file; daybreak parses it
 * directly with the daemon's own parser, applies the `.override` beside it as
 * the daemon would, and (unless `-s`) checks every script section with `sh -n`. With
 * `--upstart`, every daybreak extension stanza is an error, for files that must stay portable.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { basename, dirname, join } from "node:path";
import { type CliOutput, processOutput } from "./io.ts";
import { JobSyntaxError } from "../parser/errors.ts";
import { isExtensionStanza } from "../parser/extension_stanzas.ts";
import { applyOverride, parseJobConfig } from "../parser/parse_job.ts";
import { jobClassFields, type Json } from "../parser/fields.ts";
import { type JobClassSpec, PROCESS_SLOTS, type ProcessSlot } from "../parser/types.ts";

/** Runs `sh -n` on a script; returns the shell's messages, or `null` when the syntax is fine. */
export type ShellChecker = (script: string) => Promise<string | null>;

/** The section names Upstart's init-checkconf prints for each script slot. */
const SECTION_NAMES: Record<ProcessSlot, string> = {
  "main": "script",
  "pre-start": "pre-start",
  "post-start": "post-start",
  "pre-stop": "pre-stop",
  "post-stop": "post-stop",
};

const USAGE = `Usage: init-checkconf [OPTION]... FILE...
Check Upstart job files for syntax errors, without a running daemon.

  -s, --noscript   do not check script sections with sh -n
      --json       print one JSON object per file on stdout
      --upstart    report daybreak extension stanzas as errors (portable files)
  -f, --file FILE  file to check (as a positional FILE)
  -d, --debug      accepted for compatibility
  -x, --initctl-path, -i, --init-path PATH
                   accepted for compatibility (no daemon is started)
  -h, --help       show this help
`;

/** Result of checking one file. */
export interface CheckResult {
  readonly file: string;
  readonly name: string;
  readonly ok: boolean;
  readonly spec: JobClassSpec | null;
  /** Lines for stderr after the `ERROR:` line (empty when ok). */
  readonly errorLines: readonly string[];
  readonly headline: string | null;
  readonly error: {
    readonly kind: string;
    readonly message: string;
    readonly line: number | null;
    readonly column: number | null;
  } | null;
}

/** `sh -n` through the real shell. */
export const realShellChecker: ShellChecker = async (script: string): Promise<string | null> => {
  const child = new Deno.Command("/bin/sh", {
    args: ["-n"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: { PATH: "/usr/bin:/bin" },
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  if (code === 0) return null;
  const text = new TextDecoder().decode(stderr) + new TextDecoder().decode(stdout);
  return text.trimEnd() || `sh -n exited with status ${code}`;
};

/** One use of a daybreak extension stanza, where its keyword stands. */
interface ExtensionUse {
  readonly file: string;
  readonly name: string;
  readonly line: number;
  readonly column: number;
}

function extensionMessage(name: string): string {
  return `daybreak extension stanza not supported by Upstart: ${name}`;
}

/**
 * Checks one job file: existence, `.conf` suffix, parse with override, (with `upstart`)
 * extension stanzas, scripts.
 */
export async function checkFile(
  file: string,
  options: { checkScripts: boolean; shell: ShellChecker; upstart?: boolean },
): Promise<CheckResult> {
  const name = basename(file).replace(/\.conf$/, "");
  const fail = (
    headline: string,
    errorLines: string[],
    error: CheckResult["error"],
  ): CheckResult => ({ file, name, ok: false, spec: null, errorLines, headline, error });

  let text: string;
  try {
    const info = await Deno.stat(file);
    if (!info.isFile) {
      return fail(`ERROR: File ${file} is not a regular file`, [], {
        kind: "NOT_A_FILE",
        message: "not a regular file",
        line: null,
        column: null,
      });
    }
    if (!file.endsWith(".conf")) {
      return fail("ERROR: File must end in .conf", [], {
        kind: "BAD_NAME",
        message: "File must end in .conf",
        line: null,
        column: null,
      });
    }
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      return fail(`ERROR: File ${file} does not exist`, [], {
        kind: "NOT_FOUND",
        message: "does not exist",
        line: null,
        column: null,
      });
    }
    const reason = e instanceof Error ? e.message : String(e);
    return fail(`ERROR: File ${file}: ${reason}`, [], {
      kind: "READ_ERROR",
      message: reason,
      line: null,
      column: null,
    });
  }

  let spec: JobClassSpec;
  const uses: ExtensionUse[] = [];
  const watch = (path: string) => (keyword: string, line: number, column: number) => {
    if (isExtensionStanza(keyword)) uses.push({ file: path, name: keyword, line, column });
  };
  try {
    spec = parseJobConfig(text, { name, file, onStanza: watch(file) });
    const overridePath = join(dirname(file), `${name}.override`);
    const overrideText = await readIfExists(overridePath);
    if (overrideText !== null) {
      spec = applyOverride(spec, overrideText, {
        file: overridePath,
        onStanza: watch(overridePath),
      });
    }
  } catch (e) {
    if (!(e instanceof JobSyntaxError)) throw e;
    return fail(`ERROR: File ${file}: syntax invalid:`, [e.format()], {
      kind: e.kind,
      message: e.message,
      line: e.line,
      column: e.column,
    });
  }

  const first = uses[0];
  if (options.upstart === true && first !== undefined) {
    return {
      file,
      name,
      ok: false,
      spec,
      errorLines: uses.map((u) => `${u.file}:${u.line}:${u.column}: ${extensionMessage(u.name)}`),
      headline: null,
      error: {
        kind: "EXTENSION_STANZA",
        message: extensionMessage(first.name),
        line: first.line,
        column: first.column,
      },
    };
  }

  if (options.checkScripts) {
    for (const slot of PROCESS_SLOTS) {
      const p = spec.processes[slot];
      if (p === undefined || !p.script) continue;
      const problem = await options.shell(p.command);
      if (problem === null) continue;
      const section = SECTION_NAMES[slot];
      return fail(
        `ERROR: File ${file}: shell syntax invalid in ${section} section:`,
        problem.split("\n"),
        { kind: "SHELL_SYNTAX", message: problem, line: p.line, column: null },
      );
    }
  }
  return { file, name, ok: true, spec, errorLines: [], headline: null, error: null };
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** The JSON line printed by `--json` for one result. */
export function resultJson(r: CheckResult): { [key: string]: Json } {
  return {
    file: r.file,
    name: r.name,
    ok: r.ok,
    error: r.error === null ? null : { ...r.error },
    fields: r.spec === null ? {} : jobClassFields(r.spec),
  };
}

/**
 * Runs the command; returns the exit status (0 when every file is fine, 1 otherwise).
 */
export async function main(
  args: string[],
  io: CliOutput = processOutput,
  shell: ShellChecker = realShellChecker,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        noscript: { type: "boolean", short: "s" },
        json: { type: "boolean" },
        file: { type: "string", short: "f", multiple: true },
        debug: { type: "boolean", short: "d" },
        "initctl-path": { type: "string", short: "i" },
        "init-path": { type: "string", short: "x" },
        help: { type: "boolean", short: "h" },
        upstart: { type: "boolean" },
      },
    });
  } catch (e) {
    io.err(`init-checkconf: ${e instanceof Error ? e.message : String(e)}\n`);
    io.err("Try `init-checkconf --help' for more information.\n");
    return 1;
  }
  if (parsed.values.help) {
    io.out(USAGE);
    return 0;
  }
  const files = [...(parsed.values.file ?? []), ...parsed.positionals];
  if (files.length === 0) {
    io.err("ERROR: no file specified\n");
    io.err("Try `init-checkconf --help' for more information.\n");
    return 1;
  }
  let status = 0;
  for (const file of files) {
    const result = await checkFile(file, {
      checkScripts: !parsed.values.noscript,
      shell,
      upstart: parsed.values.upstart === true,
    });
    if (!result.ok) status = 1;
    if (parsed.values.json) {
      io.out(`${JSON.stringify(resultJson(result))}\n`);
    } else if (result.ok) {
      io.out(`File ${file}: syntax ok\n`);
    } else {
      const lines = result.headline === null
        ? result.errorLines
        : [result.headline, ...result.errorLines];
      io.err(`${lines.join("\n")}\n`);
    }
  }
  return status;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
