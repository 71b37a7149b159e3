/**
 * The /etc/rcN.d links Debian's insserv makes for a set of init scripts, from their LSB headers
 * (`### BEGIN INIT INFO`): an `S` link in each level of `Default-Start`, a `K` link in each level
 * of `Default-Stop`, numbered by dependency depth. Tests use it to link the real scripts they
 * fetch as an installed Debian system has them.
 *
 * - Start: a script's number is one more than the highest number of the scripts its
 *   `Required-Start`/`Should-Start` name (among the
 *   installed ones with a `Default-Start`); `$all` puts it after every other.
 * - Stop: `Required-Stop: X` means X is still needed while the script stops, so the script stops
 *   first: X's number is one more than the highest number of the scripts that name it (among
 *   those with a `Default-Stop`: a script never stopped by a link does not delay the others).
 * - Facilities (`$local_fs`…) are Debian 12's /etc/insserv.conf.
 *
 * @module
 */

/** One script's header fields (names are lower-cased; values split on blanks). */
export interface LsbHeader {
  readonly provides: readonly string[];
  readonly requiredStart: readonly string[];
  readonly shouldStart: readonly string[];
  readonly requiredStop: readonly string[];
  readonly shouldStop: readonly string[];
  readonly defaultStart: readonly string[];
  readonly defaultStop: readonly string[];
}

/** Debian 12's /etc/insserv.conf: each facility and the scripts (or facilities) that provide it. */
const FACILITIES: Readonly<Record<string, readonly string[]>> = {
  $local_fs: ["mountall", "mountall-bootclean", "mountoverflowtmp", "umountfs"],
  $network: ["networking", "ifupdown"],
  $named: ["named", "dnsmasq", "lwresd", "bind9", "unbound", "$network"],
  $remote_fs: ["$local_fs", "mountnfs", "mountnfs-bootclean", "umountnfs", "sendsigs"],
  $syslog: ["rsyslog", "sysklogd", "syslog-ng", "dsyslog", "inetutils-syslogd"],
  $time: ["hwclock"],
};

/**
 * Reads the LSB header of an init script.
 *
 * @param text the script
 * @returns its fields (empty lists for missing ones)
 */
export function parseLsbHeader(text: string): LsbHeader {
  const fields = new Map<string, string[]>();
  let inside = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("### BEGIN INIT INFO")) inside = true;
    else if (line.startsWith("### END INIT INFO")) break;
    else if (inside) {
      const m = /^#\s*([A-Za-z-]+):(.*)$/.exec(line);
      if (m) fields.set(m[1]!.toLowerCase(), m[2]!.trim().split(/\s+/).filter((w) => w !== ""));
    }
  }
  const get = (name: string) => fields.get(name) ?? [];
  return {
    provides: get("provides"),
    requiredStart: get("required-start"),
    shouldStart: get("should-start"),
    requiredStop: get("required-stop"),
    shouldStop: get("should-stop"),
    defaultStart: get("default-start"),
    defaultStop: get("default-stop"),
  };
}

/** The script names (keys of `scripts`) a dependency word stands for. */
function resolve(
  word: string,
  provider: ReadonlyMap<string, string>,
  seen: Set<string> = new Set(),
): string[] {
  if (!word.startsWith("$")) {
    const script = provider.get(word);
    return script === undefined ? [] : [script];
  }
  if (seen.has(word)) return [];
  seen.add(word);
  return (FACILITIES[word] ?? []).flatMap((w) => resolve(w, provider, seen));
}

/** A link to create: `/etc/rc${level}.d/${name}` → `../init.d/${script}`. */
export interface RcLink {
  readonly level: string;
  readonly name: string;
  readonly script: string;
}

/**
 * The rc links for a set of scripts.
 *
 * @param scripts each script's file name and header
 * @returns the links, sorted by level then name
 * @throws {Error} on a dependency loop
 */
export function rcLinks(scripts: ReadonlyMap<string, LsbHeader>): RcLink[] {
  const provider = new Map<string, string>();
  for (const [file, header] of scripts) {
    provider.set(file, file);
    for (const name of header.provides) provider.set(name, file);
  }
  const startDeps = (file: string): string[] => {
    const h = scripts.get(file)!;
    const words = [...h.requiredStart, ...h.shouldStart];
    if (words.includes("$all")) return [...scripts.keys()].filter((f) => f !== file);
    return words.flatMap((w) => resolve(w, provider))
      .filter((f) => f !== file && scripts.get(f)!.defaultStart.length > 0);
  };
  // Who must stop before `file`: the scripts stopped somewhere whose stop dependencies name it.
  const stopDeps = (file: string): string[] =>
    [...scripts.entries()].filter(([other, h]) =>
      other !== file && h.defaultStop.length > 0 &&
      [...h.requiredStop, ...h.shouldStop].flatMap((w) => resolve(w, provider)).includes(file)
    ).map(([other]) => other);
  const depth = (deps: (f: string) => string[]) => {
    const memo = new Map<string, number>();
    const visit = (file: string, path: string[]): number => {
      const known = memo.get(file);
      if (known !== undefined) return known;
      if (path.includes(file)) throw new Error(`dependency loop: ${[...path, file].join(" -> ")}`);
      const n = 1 + Math.max(0, ...deps(file).map((d) => visit(d, [...path, file])));
      memo.set(file, n);
      return n;
    };
    return (file: string) => visit(file, []);
  };
  const startNumber = depth(startDeps);
  const stopNumber = depth(stopDeps);
  const links: RcLink[] = [];
  const two = (n: number) => String(n).padStart(2, "0");
  for (const [file, h] of scripts) {
    for (const level of h.defaultStart) {
      links.push({ level, name: `S${two(startNumber(file))}${file}`, script: file });
    }
    for (const level of h.defaultStop) {
      links.push({ level, name: `K${two(stopNumber(file))}${file}`, script: file });
    }
  }
  return links.sort((a, b) =>
    a.level === b.level ? (a.name < b.name ? -1 : 1) : (a.level < b.level ? -1 : 1)
  );
}
