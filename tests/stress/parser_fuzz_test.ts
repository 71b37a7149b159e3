/**
 * Parser fuzz (tests/stress/README.md): job files built by fast-check from
 * stanza keywords and arbitrary arguments, and mutations of the corpus's real
 * job files (../shared/corpus, when present). The only error the parser may
 * throw is `JobSyntaxError` (the daemon reports it for that file and goes on);
 * anything else would be a crash. The long mode tries at least 1,000,000.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { JobSyntaxError } from "../../parser/errors.ts";
import { parseJobConfig } from "../../parser/parse_job.ts";
import { rssKiB, scale, StressReport } from "./_report.ts";

const CORPUS = new URL("../../../shared/corpus/", import.meta.url);

const KEYWORDS = [
  "start on",
  "stop on",
  "exec",
  "script",
  "end script",
  "pre-start exec",
  "pre-start script",
  "post-stop exec",
  "env",
  "export",
  "respawn",
  "respawn limit",
  "task",
  "instance",
  "console",
  "normal exit",
  "umask",
  "nice",
  "limit",
  "oom score",
  "kill signal",
  "kill timeout",
  "reload signal",
  "expect",
  "chdir",
  "chroot",
  "setuid",
  "setgid",
  "usage",
  "emits",
  "author",
  "description",
  "version",
  "manual",
  "apparmor load",
  "apparmor switch",
  "cgroup",
  "delegate",
  "#",
];
const ARG_BITS = [
  "(",
  ")",
  "and",
  "or",
  "[",
  "]",
  "!",
  "=",
  "$",
  "${X}",
  '"',
  "'",
  "\\",
  "\n",
  "runlevel",
  "started",
  "unlimited",
  "-1",
  "999999999999999999999",
  "fork",
  "daemon",
  "stop",
  "log",
  "*",
  "?",
  "\t",
  "\0",
  "é",
];

/** Throws unless `e` is a JobSyntaxError; counts what was thrown. */
function parseOne(text: string, report: StressReport): void {
  try {
    parseJobConfig(text, { name: "fuzz", file: "/fuzz/fuzz.conf" });
    report.add("accepted");
  } catch (e) {
    if (e instanceof JobSyntaxError) {
      report.add("syntax errors");
      return;
    }
    report.add("failures");
    throw new Error(`parseJobConfig threw ${String(e)} for:\n${JSON.stringify(text)}`);
  }
}

async function corpusFiles(dir: URL): Promise<string[]> {
  const texts: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      const url = new URL(entry.isDirectory ? `${entry.name}/` : entry.name, dir);
      if (entry.isDirectory) texts.push(...await corpusFiles(url));
      else if (entry.name.endsWith(".conf")) texts.push(await Deno.readTextFile(url));
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return texts;
}

/** A small seeded generator (mulberry32): millions of mutations without fast-check's overhead. */
function random(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** One to four edits of a real job file: cut, duplicate, splice in keywords or junk, nest. */
function mutate(text: string, r: (n: number) => number): string {
  let s = text;
  for (let k = 1 + r(4); k > 0; k--) {
    const at = r(s.length + 1);
    switch (r(9)) {
      case 0: // delete a range
        s = s.slice(0, at) + s.slice(at + r(64));
        break;
      case 1: // duplicate a range
        s = s.slice(0, at) + s.slice(at, at + r(200)) + s.slice(at);
        break;
      case 2: // a keyword line
        s = `${s.slice(0, at)}\n${KEYWORDS[r(KEYWORDS.length)]} ${ARG_BITS[r(ARG_BITS.length)]}\n${
          s.slice(at)
        }`;
        break;
      case 3: // an argument fragment
        s = s.slice(0, at) + ARG_BITS[r(ARG_BITS.length)] + s.slice(at);
        break;
      case 4: // a random character
        s = s.slice(0, at) + String.fromCharCode(r(0x3000)) + s.slice(at + 1);
        break;
      case 5: // truncate
        s = s.slice(0, at);
        break;
      case 6: // swap two lines
      {
        const lines = s.split("\n");
        const i = r(lines.length);
        const j = r(lines.length);
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        s = lines.join("\n");
        break;
      }
      case 7: // deep nesting in an event expression
      {
        const depth = 1 + r(5000);
        s += `\nstart on ${"(".repeat(depth)}a${")".repeat(r(2) === 0 ? depth : r(depth))}\n`;
        break;
      }
      default: // a long run of one fragment
        s = s.slice(0, at) + ARG_BITS[r(ARG_BITS.length)]!.repeat(r(2000)) + s.slice(at);
    }
  }
  return s;
}

Deno.test("parser fuzz: fast-check job files and corpus mutations throw only JobSyntaxError", async () => {
  const report = new StressReport("parser-fuzz");
  const rssBefore = rssKiB(Deno.pid);
  report.set("rss before KiB", rssBefore);
  try {
    const stanza = fc.tuple(
      fc.constantFrom(...KEYWORDS),
      fc.array(fc.oneof(fc.constantFrom(...ARG_BITS), fc.string({ unit: "binary" })), {
        maxLength: 8,
      }),
    ).map(([k, args]) => `${k} ${args.join(" ")}`);
    const jobFile = fc.array(stanza, { maxLength: 20 }).map((lines) => lines.join("\n"));
    const generated = scale(5_000, 200_000);
    fc.assert(fc.property(jobFile, (text) => parseOne(text, report)), { numRuns: generated });
    report.set("fast-check inputs", generated);

    const corpus = await corpusFiles(CORPUS);
    report.set("corpus files", corpus.length);
    const mutations = corpus.length === 0 ? 0 : scale(20_000, 1_000_000);
    const seed = Date.now() % 1_000_000;
    report.set("mutation seed", seed);
    const r = random(seed);
    for (let i = 0; i < mutations; i++) parseOne(mutate(corpus[r(corpus.length)]!, r), report);
    report.set("corpus mutations", mutations);
    report.set("inputs tried", generated + mutations);
    report.set("failures", report.get("failures") ?? 0);
    assert.equal(report.get("failures"), 0);
  } finally {
    report.set("rss after KiB", rssKiB(Deno.pid));
    report.print();
  }
});
