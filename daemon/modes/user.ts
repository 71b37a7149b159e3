/**
 * `init --user`: a session's job manager (see docs/behaviour.md#user-session). Jobs come from
 * `$XDG_CONFIG_HOME/upstart` and friends, inherit init's environment unless `--no-inherit-env`, and
 * run with init's umask in init's directory; the socket belongs to the user; SIGTERM and SIGINT end
 * the session.
 *
 * @module
 */

import { configSources } from "../conf/conf_sources.ts";
import { daemonPaths, type InitOptions } from "../options.ts";
import type { DaemonHost } from "../ports.ts";
import { sessionAddress } from "../../protocol/addresses.ts";
import {
  daemonEnvironment,
  DEFAULT_PATH,
  envList,
  type Mode,
  type ModeDirectory,
  startupEvents,
} from "./mode.ts";

/** The user-session mode for these options, this environment and this process. */
export function userMode(
  options: InitOptions,
  rawEnv: Readonly<Record<string, string>>,
  host: Pick<DaemonHost, "pid" | "euid" | "umask">,
): Mode {
  const env = daemonEnvironment(rawEnv);
  const paths = daemonPaths(options, { env, pid: host.pid, uid: host.euid });
  const confSources = configSources({
    user: true,
    confdirs: options.confdirs,
    prependConfdirs: options.prependConfdirs,
    appendConfdirs: options.appendConfdirs,
    env,
  });
  const directories: ModeDirectory[] = [];
  // The user's own job directory is made when no --confdir replaced the defaults.
  const own = options.confdirs.length === 0 ? confSources[0] : undefined;
  if (own !== undefined) directories.push({ path: own.path, mode: 0o700 });
  directories.push({ path: paths.logDir, mode: 0o700 });
  directories.push({ path: dirname(paths.socket), mode: 0o700 });

  const initEnv = envList(env);
  const path = `PATH=${env.PATH ?? DEFAULT_PATH}`;
  const globalEnv = options.inheritEnv
    ? [...initEnv.filter((e) => !e.startsWith("PATH=")), path]
    : [path, ...(env.TERM === undefined ? [] : [`TERM=${env.TERM}`])];
  return {
    name: "user",
    paths,
    directories,
    confSources,
    log: { user: true, priority: options.logPriority },
    initEnv,
    globalEnv,
    sessionAddress: sessionAddress(paths.socket),
    engine: options.fixes,
    spawn: {
      defaultConsole: options.defaultConsole,
      logDir: paths.logDir,
      umask: host.umask(),
      chdir: null,
    },
    socket: { path: paths.socket, mode: options.socketMode ?? 0o600, ownerUid: host.euid },
    signals: {
      SIGTERM: { kind: "shutdown", status: 0 },
      SIGINT: { kind: "shutdown", status: 0 },
      SIGHUP: { kind: "reload" },
    },
    startupEvents: startupEvents(options.startupEvent),
    metrics: options.metrics ?? null,
    pid1: host.pid === 1,
    started: () => {},
    finalShutdown: () => Promise.resolve(),
  };
}

/** The directory part of an absolute path (`/` for a file at the root). */
export function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}
