/**
 * Entry point of `service` (bin/service): wires compat_sysv/service.ts to
 * the real `/etc/init.d`, child processes and daybreak's job commands.
 *
 * `DAYBREAK_TEST_INIT_D_DIR` replaces `/etc/init.d`, for tests only.
 *
 * @module
 */

import { type JobTool, service, type ServiceFs } from "../compat_sysv/service.ts";
import { processOutput } from "./io.ts";

const BIN = new URL("../bin/", import.meta.url).pathname;
const decoder = new TextDecoder();

const fs: ServiceFs = {
  list(dir) {
    try {
      return [...Deno.readDirSync(dir)].map((e) => e.name);
    } catch {
      return null;
    }
  },
  isExecutable(path) {
    try {
      const st = Deno.statSync(path);
      return !st.isDirectory && ((st.mode ?? 0) & 0o111) !== 0;
    } catch {
      return false;
    }
  },
};

async function runScript(
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
  capture: boolean,
): Promise<{ code: number; output: string }> {
  try {
    const child = new Deno.Command(argv[0] as string, {
      args: argv.slice(1),
      env: { ...env },
      clearEnv: true,
      cwd: "/",
      stdin: capture ? "null" : "inherit",
      stdout: capture ? "piped" : "inherit",
      stderr: capture ? "piped" : "inherit",
    }).spawn();
    if (!capture) return { code: (await child.status).code, output: "" };
    const out = await child.output();
    return { code: out.code, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
  } catch (e) {
    const text = e instanceof Error ? e.message.replace(/ \(os error \d+\)[^]*$/, "") : String(e);
    if (!capture) processOutput.err(`service: ${argv[0]}: ${text}\n`);
    return { code: 126, output: "" };
  }
}

async function runTool(tool: JobTool, args: readonly string[], quiet: boolean): Promise<number> {
  const env = Deno.env.toObject();
  delete env.UPSTART_SESSION;
  try {
    const child = new Deno.Command(`${BIN}${tool}`, {
      args: [...args],
      env,
      clearEnv: true,
      cwd: "/",
      stdin: quiet ? "null" : "inherit",
      stdout: quiet ? "null" : "inherit",
      stderr: quiet ? "null" : "inherit",
    }).spawn();
    return (await child.status).code;
  } catch {
    return 127;
  }
}

/**
 * The daemon's jobs from `initctl list --json`, found as the job commands find it (the caller's
 * environment minus `UPSTART_SESSION`); null when it cannot be asked.
 */
async function nativeJobs(): Promise<ReadonlyMap<string, boolean> | null> {
  const env = Deno.env.toObject();
  delete env.UPSTART_SESSION;
  try {
    const out = await new Deno.Command(`${BIN}initctl`, {
      args: ["list", "--json"],
      env,
      clearEnv: true,
      cwd: "/",
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    if (out.code !== 0) return null;
    const { jobs } = JSON.parse(decoder.decode(out.stdout)) as {
      jobs: { job: string; instances: { goal: string }[] }[];
    };
    return new Map(jobs.map((j) => [j.job, j.instances.some((i) => i.goal === "start")]));
  } catch {
    return null;
  }
}

if (import.meta.main) {
  const env = Deno.env.toObject();
  Deno.exit(
    await service(Deno.args, {
      env,
      initdDir: env.DAYBREAK_TEST_INIT_D_DIR || "/etc/init.d",
      fs,
      runScript,
      runTool,
      nativeJobs,
      io: processOutput,
    }),
  );
}
