/**
 * `halt`, `poweroff`, `reboot [-n] [-w] [-d] [-f] [-i] [-p] [-h]`: one entry, its action taken
 * from the program name the launcher passes (`--daybreak-prog=NAME`). As sysvinit's halt: with
 * `-f`, or when the system is already in runlevel 0 or 6 (the rc scripts' last step), it syncs,
 * writes the wtmp record and calls reboot(2); otherwise it asks init to change to runlevel 0 or 6
 * (see docs/shutdown.md).
 *
 * @module
 */

import { type CliOutput, processOutput } from "./io.ts";
import { ArgsError, type HaltCommand, parseHaltArgs } from "./shutdown_args.ts";
import { readRunlevels, writeShutdownRecord } from "../compat_sysv/utmp_file.ts";
import {
  kernelRelease,
  recordingRequest,
  type requestRunlevel,
  SYSTEM_SOCKET,
} from "./shutdown_request.ts";
import { rebootByName, RebootError, sync } from "../sys/machine.ts";

const USAGE = (prog: string): string =>
  `Usage: ${prog} [-n] [-w] [-d] [-f] [-i] [-p] [-h]
  -n  do not sync before rebooting or halting
  -w  only write the wtmp record, do nothing else
  -d  do not write the wtmp record
  -f  force: call reboot(2) at once instead of asking init
  -i  accepted (network interfaces go down with the kernel)
  -p  power off when halting
  -h  accepted (disks are put in standby by the kernel)
      --socket PATH  the daemon to ask (default ${SYSTEM_SOCKET})
`;

/** What halt does to the world; tests replace any of them. */
export interface HaltPorts {
  readonly output: CliOutput;
  readonly currentRunlevel: () => Promise<string>;
  readonly writeWtmp: () => Promise<unknown>;
  readonly sync: () => void;
  readonly reboot: (command: "halt" | "poweroff" | "restart") => void;
  readonly requestRunlevel: typeof requestRunlevel;
}

/** The real ports. */
export const REAL_HALT_PORTS: HaltPorts = {
  output: processOutput,
  currentRunlevel: async () => (await readRunlevels()).runlevel,
  writeWtmp: () => writeShutdownRecord(new Date(), kernelRelease()),
  sync,
  reboot: rebootByName,
  requestRunlevel: recordingRequest("halt"),
};

function describe(error: unknown): string {
  if (error instanceof RebootError) {
    return error.errno === 1 ? "Operation not permitted" : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

async function act(
  command: Extract<HaltCommand, { kind: "halt" }>,
  prog: string,
  ports: HaltPorts,
): Promise<number> {
  if (command.wtmpOnly) {
    await ports.writeWtmp();
    return 0;
  }
  const current = await ports.currentRunlevel();
  if (command.force || current === "0" || current === "6") {
    if (!command.noSync) ports.sync();
    if (!command.noWtmp) await ports.writeWtmp();
    try {
      ports.reboot(command.action === "reboot" ? "restart" : command.action);
    } catch (e) {
      ports.output.err(`${prog}: ${describe(e)}\n`);
      return 1;
    }
    return 0;
  }
  await ports.requestRunlevel(
    {
      runlevel: command.action === "reboot" ? "6" : "0",
      previous: current,
      haltMode: command.action === "reboot" ? null : command.action,
    },
    command.socket ?? SYSTEM_SOCKET,
  );
  return 0;
}

/**
 * Runs halt, poweroff or reboot.
 *
 * @param argv `--daybreak-prog=NAME` then the user's arguments
 * @param ports the side effects
 * @returns the exit status
 */
export async function main(
  argv: readonly string[],
  ports: HaltPorts = REAL_HALT_PORTS,
): Promise<number> {
  const first = argv[0] ?? "";
  const prog = first.startsWith("--daybreak-prog=") ? first.slice(16) : "halt";
  const args = first.startsWith("--daybreak-prog=") ? argv.slice(1) : argv;
  let command: HaltCommand;
  try {
    command = parseHaltArgs(prog, args);
  } catch (e) {
    if (!(e instanceof ArgsError)) throw e;
    ports.output.err(`${prog}: ${e.message}\n${USAGE(prog)}`);
    return 1;
  }
  if (command.kind === "help") {
    ports.output.out(USAGE(prog));
    return 0;
  }
  try {
    return await act(command, prog, ports);
  } catch (e) {
    ports.output.err(`${prog}: ${describe(e)}\n`);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
