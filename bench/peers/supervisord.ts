/**
 * supervisord (Debian `supervisor`) with a private configuration and unix
 * socket in the session directory, run in the foreground (`nodaemon`).
 *
 * @module
 */

import { debianVersion } from "./install.ts";
import { baseEnv, run } from "./exec.ts";
import { ManagerProcess } from "./manager_process.ts";
import { commandsPresent, type Manager, serviceName } from "./manager.ts";

/**
 * The configuration for `n` services. `startsecs=0` makes supervisord report
 * RUNNING as soon as the process is started instead of after one second, so
 * the figures time the launch rather than a fixed wait.
 */
export function supervisordConfig(dir: string, n: number): string {
  const lines = [
    "[unix_http_server]",
    `file=${dir}/supervisor.sock`,
    "[supervisord]",
    "nodaemon=true",
    `logfile=${dir}/supervisord.log`,
    `pidfile=${dir}/supervisord.pid`,
    `childlogdir=${dir}/logs`,
    `minfds=${Math.max(1024, n * 8 + 64)}`,
    "[rpcinterface:supervisor]",
    "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
    "[supervisorctl]",
    `serverurl=unix://${dir}/supervisor.sock`,
  ];
  for (let i = 0; i < n; i++) {
    lines.push(
      `[program:${serviceName(i)}]`,
      "command=sleep 100000",
      "startsecs=0",
      "autorestart=true",
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Parses `supervisorctl status`: the RUNNING services and their pids, e.g.
 * `s0                               RUNNING   pid 32528, uptime 0:00:00`.
 */
export function parseSupervisorctlStatus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(\S+)\s+RUNNING\s+pid (\d+),/.exec(line);
    if (m !== null) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** The supervisord adapter. */
export class Supervisord implements Manager {
  readonly name = "supervisord";
  readonly debianPackage = "supervisor";
  readonly notes = {
    start: "`supervisord -c CONF` (nodaemon, private unix socket, `startsecs=0`)",
    list: "`supervisorctl -c CONF status`",
    restart: "`supervisorctl -c CONF restart sI`",
    stop: "SIGTERM to supervisord (it stops every program, then exits)",
    other: "program output goes to supervisord's default AUTO log files; its event loop " +
      "waits up to 1 s per turn, which shows in cold start and stop",
  };
  #dir = "";
  #conf = "";
  #env: Record<string, string> = {};
  readonly #daemon = new ManagerProcess();

  version(): Promise<string | null> {
    return debianVersion(this.debianPackage);
  }

  available(): Promise<true | string> {
    return commandsPresent(["supervisord", "supervisorctl"]);
  }

  async setup(dir: string, n: number): Promise<void> {
    this.#dir = dir;
    this.#conf = `${dir}/supervisord.conf`;
    this.#env = baseEnv(dir);
    await Deno.mkdir(`${dir}/logs`, { recursive: true });
    await Deno.writeTextFile(this.#conf, supervisordConfig(dir, n));
  }

  start(): Promise<void> {
    this.#daemon.start(["supervisord", "-c", this.#conf], { env: this.#env, cwd: this.#dir });
    return Promise.resolve();
  }

  managerPids(): Promise<number[]> {
    return Promise.resolve(this.#daemon.pids());
  }

  async list(): Promise<Map<string, number>> {
    return parseSupervisorctlStatus((await this.#ctl("status")).stdout);
  }

  async reportedPid(i: number): Promise<number | null> {
    const name = serviceName(i);
    return parseSupervisorctlStatus((await this.#ctl("status", name)).stdout).get(name) ?? null;
  }

  async restart(i: number): Promise<void> {
    await this.#ctl("restart", serviceName(i));
  }

  stopAll(): Promise<void> {
    this.#daemon.signal("SIGTERM");
    return Promise.resolve();
  }

  async teardown(): Promise<void> {
    await this.#daemon.end(() => this.#daemon.signal("SIGTERM"), 5000);
  }

  #ctl(...args: string[]) {
    return run(["supervisorctl", "-c", this.#conf, ...args], { env: this.#env, cwd: this.#dir });
  }
}
