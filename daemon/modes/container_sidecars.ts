/**
 * Container mode's sidecars: the ordinary daemon on the sidecar job files, reached through the
 * one function that knows its start-up API ({@linkcode startSidecars}), and through its control
 * socket for the events of the main process (see docs/container.md#sidecars).
 *
 * @module
 */

import type { ContainerOptions, InitOptions } from "../options.ts";
import type { Mode } from "./mode.ts";
import { effectiveIds, getpid } from "../../sys/libc.ts";

/** What runs the sidecars: the ordinary daemon, reached through {@linkcode startSidecars}. */
export interface Sidecars {
  /** Emits an event and waits (at most `timeoutMs`) until it has been handled. */
  emit(name: string, env: readonly string[], timeoutMs: number): Promise<void>;
  /** Stops every running job instance, each within its kill timeout. */
  stopAll(): Promise<void>;
  /** Ends the daemon (no respawns, socket removed). */
  close(): Promise<void>;
}

/**
 * Starts the ordinary daemon on the sidecar job files. The one place that knows the daemon's
 * start-up API: the daemon must not handle signals itself (they belong to the main process),
 * so only its SIGCHLD listener (its reaper) is let through while it starts.
 */
export async function startSidecars(
  options: ContainerOptions,
  env: Readonly<Record<string, string>>,
): Promise<Sidecars> {
  const { Daemon } = await import("../daemon.ts");
  const { parseInitOptions } = await import("../options.ts");
  const { realPorts } = await import("../real_ports.ts");
  const { systemMode } = await import("./system.ts");
  const { userMode } = await import("./user.ts");
  const { connectSocket } = await import("../../protocol/client.ts");
  const root = effectiveIds().euid === 0;
  const socket = options.socket ??
    (root ? null : `/tmp/daybreak-${effectiveIds().euid}/container-${getpid()}.sock`);
  const base = parseInitOptions([]);
  const initOptions: InitOptions = {
    ...base,
    user: !root,
    confdirs: options.confdirs,
    socket,
    logdir: options.logdir ?? (root ? null : `/tmp/daybreak-${effectiveIds().euid}/log`),
    logPriority: options.logPriority,
  };
  const ports = realPorts();
  const ordinary = root
    ? systemMode(initOptions, env, ports.host)
    : userMode(initOptions, env, ports.host);
  // The signals belong to the main process (container.ts forwards them): the daemon handles none,
  // has no start-up event of its own and no machine-wide final step (docs/container.md#sidecars).
  const mode: Mode = {
    ...ordinary,
    name: "container",
    signals: {},
    startupEvents: [],
    pid1: false,
    machineShutdown: false,
    finalShutdown: () => Promise.resolve(),
  };
  const daemon = await Daemon.start(mode, ports);
  const path = socket ?? (await import("../../protocol/addresses.ts")).SYSTEM_SOCKET;
  const client = await connectSocket(path);
  const timeout = <T>(p: Promise<T>, ms: number) =>
    Number.isFinite(ms) ? Promise.race([p, new Promise<void>((r) => setTimeout(r, ms))]) : p;
  return {
    emit: async (name, env, ms) => {
      await timeout(client.call("event.emit", { name, env: [...env], wait: true }), ms);
    },
    stopAll: async () => {
      const { jobs } = await client.call("job.list", {});
      await Promise.all(
        jobs.flatMap((j) =>
          j.instances.filter((i) => i.goal === "start").map((i) =>
            client.call("job.stop", { job: j.job, instance: i.instance, env: [], wait: true })
              .catch(() => {})
          )
        ),
      );
    },
    close: async () => {
      client.close();
      await daemon.shutdown("shutdown");
    },
  };
}
