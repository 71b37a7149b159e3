import assert from "node:assert/strict";
import { closeFd, O_RDONLY, O_WRONLY, pipe, readFd } from "./libc.ts";
import {
  ENOENT,
  posixSpawnp,
  posixSpawnpAsync,
  SpawnSysError,
  waitpidNoHang,
  type WaitStatus,
} from "./posix_spawn.ts";

async function waitFor(pid: number): Promise<WaitStatus> {
  for (;;) {
    const s = waitpidNoHang(pid);
    if (s !== null) return s;
    await new Promise((r) => setTimeout(r, 2));
  }
}

const base = { env: ["PATH=/usr/bin:/bin"], sigmask: [], sigdefault: [] };

Deno.test("file actions: stdin from /dev/null, stdout and stderr into one pipe, a chdir", async () => {
  const [r, w] = pipe();
  const pid = posixSpawnp({
    ...base,
    file: "/bin/sh",
    argv: ["sh", "-c", "pwd; echo err >&2; cat; echo end"],
    fileActions: [
      { open: "/dev/null", fd: 0, flags: O_RDONLY },
      { dup2: w, to: 1 },
      { dup2: w, to: 2 },
      { chdir: "/usr" },
    ],
  });
  closeFd(w);
  const buf = new Uint8Array(4096);
  let text = "";
  for (let n; (n = readFd(r, buf)) > 0;) text += new TextDecoder().decode(buf.subarray(0, n));
  closeFd(r);
  assert.equal(text, "/usr\nerr\nend\n");
  assert.deepEqual(await waitFor(pid), { code: 0 });
});

Deno.test("file actions: /dev/null for stdout, a close, setsid", async () => {
  const pid = posixSpawnp({
    ...base,
    file: "/bin/sh",
    argv: ["sh", "-c", "echo lost; [ \"$(ps -o sid= -p $$ | tr -d ' ')\" = $$ ] || exit 5; exit 3"],
    fileActions: [{ open: "/dev/null", fd: 1, flags: O_WRONLY }, { close: 0 }],
    setsid: true,
  });
  assert.deepEqual(await waitFor(pid), { code: 3 });
});

Deno.test("posixSpawnpAsync: spawns run off the JS thread and overlap; failures reject", async () => {
  const pids = await Promise.all(
    Array.from(
      { length: 64 },
      (_, i) =>
        posixSpawnpAsync({
          ...base,
          file: "/bin/sh",
          argv: ["sh", "-c", `exit ${i % 9}`],
          setsid: true,
        }),
    ),
  );
  const statuses = await Promise.all(pids.map(waitFor));
  assert.deepEqual(statuses, pids.map((_, i) => ({ code: i % 9 })));
  await assert.rejects(
    posixSpawnpAsync({ ...base, file: "/no/such/program", argv: ["x"] }),
    (e) => e instanceof SpawnSysError && e.errno === ENOENT,
  );
});

Deno.test("a storm of spawns, on worker threads and on this one, never mixes their argv, env or session", async () => {
  // Each child checks that it got exactly its own argv ($0, $1), environment (V, W, and no
  // other spawn's) and signal state (its own session or not), and exits 0 only then. Strings of
  // differing lengths, some not ASCII, so that each spawn's string buffer has its own layout.
  const script = [
    'test "$V" = "$1" || exit 1',
    'test "$W" = "w-$0" || exit 2',
    'test -z "$X" || exit 3',
    "set -- $(cat /proc/$$/stat)",
    'if test "$ALONE" = yes; then test "$6" = "$$" || exit 4; else test "$6" != "$$" || exit 5; fi',
  ].join("\n");
  const n = 300;
  const spawned: Promise<number>[] = [];
  for (let i = 0; i < n; i++) {
    const v = `v${i}-${"é".repeat(i % 7)}${"x".repeat(i % 50)}`;
    const alone = i % 3 !== 0;
    const req = {
      file: "/bin/sh",
      argv: [`s${i}${"ü".repeat(i % 5)}`, "-c", script, `s${i}${"ü".repeat(i % 5)}`, v],
      env: [
        "PATH=/usr/bin:/bin",
        `V=${v}`,
        `W=w-s${i}${"ü".repeat(i % 5)}`,
        `ALONE=${alone ? "yes" : "no"}`,
      ],
      sigmask: [],
      sigdefault: i % 2 === 0 ? [] : [1, 2, 15],
      setsid: alone,
    };
    // Every fifth on the JS thread, between the others' calls.
    spawned.push(i % 5 === 0 ? Promise.resolve(posixSpawnp(req)) : posixSpawnpAsync(req));
  }
  const pids = await Promise.all(spawned);
  assert.equal(new Set(pids).size, n);
  const statuses = await Promise.all(pids.map(waitFor));
  assert.deepEqual(statuses, pids.map(() => ({ code: 0 })));
});
