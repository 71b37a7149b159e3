import assert from "node:assert/strict";
import { type LsbHeader, parseLsbHeader, rcLinks } from "./_lsb_links.ts";

function header(lines: string): string {
  return `#!/bin/sh\n### BEGIN INIT INFO\n${lines}\n### END INIT INFO\necho body\n`;
}

Deno.test("LSB header: fields by name, any case, blanks split, missing ones empty", () => {
  const h = parseLsbHeader(
    header(
      "# Provides:          checkroot mtab\n# Required-Start:    mountdevsubfs hostname\n" +
        "# Should-stop:       halt\n# Default-Start:     S\n# Default-Stop:",
    ),
  );
  assert.deepEqual(h, {
    provides: ["checkroot", "mtab"],
    requiredStart: ["mountdevsubfs", "hostname"],
    shouldStart: [],
    requiredStop: [],
    shouldStop: ["halt"],
    defaultStart: ["S"],
    defaultStop: [],
  });
});

// The headers of Debian 12's initscripts and cron (cron has no Default-Stop: sendsigs ends it).
const DEBIAN: Record<string, string> = {
  cron: "# Provides: cron\n# Required-Start: $remote_fs $syslog $time\n" +
    "# Required-Stop: $remote_fs $syslog $time\n# Default-Start: 2 3 4 5\n# Default-Stop:",
  sendsigs: "# Provides: sendsigs\n# Required-Stop: umountnfs\n# Default-Stop: 0 6",
  "umountnfs.sh": "# Provides: umountnfs\n# Required-Stop: umountfs\n" +
    "# Should-Stop: $network $portmap nfs-common\n# Default-Stop: 0 6",
  umountfs: "# Provides: umountfs\n# Required-Stop: umountroot\n# Default-Stop: 0 6",
  umountroot: "# Provides: umountroot\n# Should-Stop: halt reboot kexec\n# Default-Stop: 0 6",
  urandom: "# Provides: urandom\n# Required-Start: $local_fs $time\n" +
    "# Required-Stop: $local_fs\n# Default-Start: S\n# Default-Stop: 0 6",
  halt: "# Provides: halt\n# Default-Stop: 0",
  reboot: "# Provides: reboot\n# Default-Stop: 6",
};

function debian(): Map<string, LsbHeader> {
  return new Map(Object.entries(DEBIAN).map(([k, v]) => [k, parseLsbHeader(header(v))]));
}

Deno.test("rc links: Debian 12's shutdown order from the headers", () => {
  const links = rcLinks(debian());
  const at = (level: string) => links.filter((l) => l.level === level).map((l) => l.name);
  assert.deepEqual(at("0"), [
    "K01sendsigs",
    "K01urandom",
    "K02umountnfs.sh",
    "K03umountfs",
    "K04umountroot",
    "K05halt",
  ]);
  assert.deepEqual(at("6"), [
    "K01sendsigs",
    "K01urandom",
    "K02umountnfs.sh",
    "K03umountfs",
    "K04umountroot",
    "K05reboot",
  ]);
  assert.deepEqual(at("2"), ["S01cron"]);
  assert.deepEqual(at("S"), ["S01urandom"]);
  assert.equal(links.find((l) => l.name === "K05halt")?.script, "halt");
});

Deno.test("rc links: a start dependency on an installed script orders after it; $all last", () => {
  const scripts = new Map([
    ["a", parseLsbHeader(header("# Provides: alpha\n# Default-Start: 2"))],
    ["b", parseLsbHeader(header("# Required-Start: alpha missing\n# Default-Start: 2"))],
    ["c", parseLsbHeader(header("# Required-Start: $all\n# Default-Start: 2"))],
  ]);
  assert.deepEqual(rcLinks(scripts).map((l) => l.name), ["S01a", "S02b", "S03c"]);
});

Deno.test("rc links: a loop is an error", () => {
  const scripts = new Map([
    ["a", parseLsbHeader(header("# Required-Start: b\n# Default-Start: 2"))],
    ["b", parseLsbHeader(header("# Required-Start: a\n# Default-Start: 2"))],
  ]);
  assert.throws(() => rcLinks(scripts), /dependency loop/);
});
