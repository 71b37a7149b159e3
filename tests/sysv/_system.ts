/**
 * A whole system for the tests that shut it down: daybreak as PID 1 of new
 * mount/pid/net/uts/ipc namespaces over a private root (see `_enter_root.sh`),
 * with real Debian 12 init scripts fetched at test time, driven through
 * `nsenter` as an administrator would, and the namespace's end observed as its
 * parent sees it.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { childrenOf, cmdline, isAlive } from "../helpers/procfs.ts";
import { parseLsbHeader, rcLinks } from "./_lsb_links.ts";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
const decoder = new TextDecoder();

/** What a command did. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to its end.
 *
 * @param cmd the program
 * @param args its arguments
 * @param cwd its working directory
 * @returns its status and output
 */
export async function run(cmd: string, args: string[], cwd?: string): Promise<Ran> {
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...(cwd ? { cwd } : {}),
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/**
 * Fetches Debian packages and unpacks them all into `dir/x`.
 *
 * @param dir a scratch directory
 * @param packages the packages
 * @returns why it could not, or null
 */
export async function fetchDebs(dir: string, packages: readonly string[]): Promise<string | null> {
  for (const pkg of packages) {
    const got = await run("apt-get", ["download", pkg], dir);
    if (got.code !== 0) {
      return `apt-get download ${pkg} failed: ${got.stderr.trim().split("\n").pop()}`;
    }
    const deb = [...Deno.readDirSync(dir)].find((e) =>
      e.name.startsWith(`${pkg}_`) && e.name.endsWith(".deb")
    );
    if (!deb) return `apt-get download ${pkg} left no .deb`;
    const x = await run("dpkg", ["-x", deb.name, "x"], dir);
    if (x.code !== 0) return `dpkg -x ${deb.name} failed: ${x.stderr.trim()}`;
  }
  return null;
}

/**
 * What the namespace needs of the host, checked before anything is fetched.
 *
 * @returns why the tests cannot run, or null
 */
export async function hostMissing(): Promise<string | null> {
  if (Deno.uid() !== 0) return "needs root (namespaces, mounts)";
  for (
    const tool of [
      "unshare",
      "nsenter",
      "script",
      "pivot_root",
      "mknod",
      "killall5",
      "start-stop-daemon",
      "apt-get",
      "dpkg",
    ]
  ) {
    if ((await run("sh", ["-c", `command -v ${tool}`])).code !== 0) return `${tool} is missing`;
  }
  for (
    const [file, what] of [
      ["/lib/lsb/init-functions", "Debian's init-script helpers"],
      ["/lib/init/vars.sh", "read by Debian's rc and shutdown scripts"],
    ]
  ) {
    try {
      Deno.statSync(file!);
    } catch {
      return `${file} (${what}) is missing`;
    }
  }
  if ((await run("grep", ["-qw", "overlay", "/proc/filesystems"])).code !== 0) {
    return "the kernel has no overlay file system (the private root is one)";
  }
  return null;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` until it gives a value.
 *
 * @param what for the error message
 * @param probe null while not yet
 * @param ms how long to wait
 * @returns the value
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null>,
  ms = 30000,
): Promise<T> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const got = await probe();
    if (got !== null) return got;
    await sleep(200);
  }
  throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
}

/** The Debian 12 packages the shutdown tests fetch. */
export const PACKAGES = ["initscripts", "sysv-rc", "cron"] as const;

/** initscripts' scripts that an installed system links into rc0.d and rc6.d. */
const SHUTDOWN_SCRIPTS = [
  "sendsigs",
  "umountnfs.sh",
  "umountfs",
  "umountroot",
  "urandom",
  "brightness",
  "halt",
  "reboot",
] as const;

/** How the staged system's rc job runs the levels' scripts. */
export type RcKind = "debian" | "daybreak";

/**
 * Builds the tree `_enter_root.sh` copies over the private root: the default
 * jobs of etc/init/ (rc-sysinit, rc, rcS, control-alt-delete), Debian's cron
 * and initscripts' shutdown scripts linked into /etc/rcN.d by their LSB
 * headers, and Debian's /etc/init.d/rc (sysv-rc) unless `rc` is `daybreak`
 * (then the rc job runs daybreak's own, see docs/sysv.md#rc).
 *
 * @param dir the staging directory (gets `files/`)
 * @param debs where {@linkcode fetchDebs} unpacked the packages (its `x/`)
 * @param rc whose rc runs the levels
 * @param scripts `none`: no init script at all but the rc, so that nothing in rc0.d or rc6.d
 *   ends the system (daybreak must)
 * @returns the rc links made, as `rcN.d/NAME` (for messages)
 */
export async function stageSystem(
  dir: string,
  debs: string,
  rc: RcKind,
  scripts: "shutdown" | "none" = "shutdown",
): Promise<string[]> {
  const files = `${dir}/files`;
  for (const d of ["etc/init", "etc/init.d", "etc/default", "usr/sbin", "usr/lib/init"]) {
    await Deno.mkdir(`${files}/${d}`, { recursive: true });
  }
  await Deno.mkdir(`${files}/var/spool/cron/crontabs`, { recursive: true });
  await Deno.mkdir(`${files}/var/lib/urandom`, { recursive: true });
  for (const job of ["rc-sysinit", "rc", "rcS", "control-alt-delete"]) {
    await Deno.copyFile(`${ROOT}/etc/init/${job}.conf`, `${files}/etc/init/${job}.conf`);
  }
  const headers = new Map<string, ReturnType<typeof parseLsbHeader>>();
  for (const script of scripts === "none" ? [] : [...SHUTDOWN_SCRIPTS, "cron"]) {
    const text = await Deno.readTextFile(`${debs}/etc/init.d/${script}`);
    await Deno.writeTextFile(`${files}/etc/init.d/${script}`, text, { mode: 0o755 });
    headers.set(script, parseLsbHeader(text));
  }
  await Deno.copyFile(`${debs}/usr/sbin/cron`, `${files}/usr/sbin/cron`);
  await Deno.chmod(`${files}/usr/sbin/cron`, 0o755);
  // initscripts' defaults (/etc/default/halt says HALT=poweroff) and its /lib/init helpers.
  for (const entry of Deno.readDirSync(`${debs}/etc/default`)) {
    await Deno.copyFile(`${debs}/etc/default/${entry.name}`, `${files}/etc/default/${entry.name}`);
  }
  for (const entry of Deno.readDirSync(`${debs}/lib/init`)) {
    if (entry.name === "rc" && rc !== "debian") continue;
    await Deno.copyFile(`${debs}/lib/init/${entry.name}`, `${files}/usr/lib/init/${entry.name}`);
  }
  // As sysv-rc installs it.
  if (rc === "debian") await Deno.symlink("/lib/init/rc", `${files}/etc/init.d/rc`);
  const made: string[] = [];
  for (const link of rcLinks(headers)) {
    const dirName = `${files}/etc/rc${link.level}.d`;
    await Deno.mkdir(dirName, { recursive: true });
    await Deno.symlink(`../init.d/${link.script}`, `${dirName}/${link.name}`);
    made.push(`rc${link.level}.d/${link.name}`);
  }
  return made;
}

/** How the namespace ended, as its parent saw it. */
export interface Ending {
  /** The signal that killed the namespace's init (null: it exited). */
  readonly signal: Deno.Signal | null;
  readonly code: number;
}

/** A booted namespace. */
export interface System {
  /** The namespace's init, as the host numbers it. */
  readonly init: number;
  /** Runs a command inside the namespaces with an administrator's environment (as root). */
  inside(...argv: string[]): Promise<Ran>;
  /** Waits until `runlevel` prints `want` (30 s at most). */
  levels(want: string): Promise<true>;
  /**
   * Waits for the namespace to end by itself.
   *
   * @returns how it ended, or null when it was still there after `ms`
   */
  ended(ms: number): Promise<Ending | null>;
  /** Ends the namespace if it is still there; returns everything written on its console. */
  stop(): Promise<string>;
}

const SIGNALS: Readonly<Record<number, Deno.Signal>> = {
  1: "SIGHUP",
  2: "SIGINT",
  9: "SIGKILL",
  15: "SIGTERM",
};

/**
 * Starts daybreak as PID 1 of new namespaces over the staging tree `dir` and
 * waits for its system socket.
 *
 * With `console`, the namespace runs under `script`, which holds a new pty's
 * master: the slave is the namespace's /dev/console and init's stdio, and the
 * namespace's end is read from `script -e`'s status (128 + the signal, as a
 * shell reports it). Without, init's stdio are pipes and the end is
 * `unshare`'s own wait status (it dies of its child's signal).
 *
 * @param dir the staging tree
 * @param opts whether a pty is the console
 * @returns the running system
 */
export async function startSystem(dir: string, opts: { console: boolean }): Promise<System> {
  const unshare = [
    "unshare",
    "--mount",
    "--pid",
    "--fork",
    "--mount-proc",
    "--net",
    "--uts",
    "--ipc",
    "sh",
    `${ROOT}/tests/sysv/_enter_root.sh`,
    ROOT,
    dir,
  ];
  const quoted = unshare.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const child = new Deno.Command(
    opts.console ? "script" : unshare[0]!,
    {
      args: opts.console ? ["-qfec", `exec ${quoted}`, "/dev/null"] : unshare.slice(1),
      env: { SHELL: "/bin/sh" },
      // script reads its stdin for the console: left open, never written.
      stdin: opts.console ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    },
  ).spawn();
  const output = child.output();
  let finished: Ending | null = null;
  const settled = output.then((out) => {
    const signal = out.signal ??
      (opts.console && out.code > 128 ? SIGNALS[out.code - 128] ?? null : null);
    finished = { signal, code: out.code };
    return out;
  });
  let init = 0;
  const inside = (...argv: string[]) =>
    run("nsenter", [
      "-t",
      String(init),
      "-m",
      "-p",
      "-n",
      "-u",
      "-i",
      "-r",
      "-w",
      "env",
      "-i",
      "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
      "HOME=/root",
      "TERM=dumb",
      "LANG=C",
      ...argv,
    ]);
  const stop = async () => {
    try {
      if (init > 0 && isAlive(init)) Deno.kill(init, "SIGKILL");
      else if (finished === null) child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    const out = await settled;
    if (opts.console) await child.stdin.close().catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    return decoder.decode(out.stdout) + decoder.decode(out.stderr);
  };
  const ended = async (ms: number) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), ms));
    try {
      await Promise.race([settled, late]);
    } finally {
      clearTimeout(timer);
    }
    return finished;
  };
  const levels = (want: string) =>
    waitFor(
      `runlevel ${want}`,
      async () => (await inside("runlevel")).stdout === `${want}\n` ? true as const : null,
    );
  try {
    // The namespace's init is the child of unshare (under script: its grandchild).
    init = await waitFor("the namespace's init", () => {
      const queue = [child.pid];
      while (queue.length > 0) {
        const pid = queue.shift()!;
        for (const kid of childrenOf(pid)) {
          if (cmdline(pid)[0]?.endsWith("unshare")) return Promise.resolve(kid);
          queue.push(kid);
        }
      }
      if (finished !== null) throw new Error("the namespace ended at once");
      return Promise.resolve(null);
    }, 10000);
    await waitFor(
      "the system socket",
      async () => {
        if (finished !== null) throw new Error("the namespace ended before init listened");
        return (await inside("test", "-S", "/run/daybreak/initctl.sock")).code === 0 || null;
      },
    );
  } catch (e) {
    const console = await stop();
    throw new Error(`${e instanceof Error ? e.message : e}\n--- console ---\n${console}`);
  }
  return { init, inside, levels, ended, stop };
}
