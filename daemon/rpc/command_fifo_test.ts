import assert from "node:assert/strict";
import { PollLoop } from "../supervisor/poll_loop.ts";
import { CommandFifo, type CommandFifoOptions, FifoRefusedError } from "./command_fifo.ts";
import type { FifoRequest } from "./fifo_protocol.ts";

const uid = Deno.uid() ?? -1;

/** A 0755 directory of ours, a poll loop, and a FIFO path in it; cleaned up after `fn`. */
async function withDir(
  fn: (t: {
    dir: string;
    path: string;
    loop: PollLoop;
    handled: FifoRequest[];
    logged: string[];
    options: (extra?: Partial<CommandFifoOptions>) => CommandFifoOptions;
  }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "daybreak-fifo-" });
  await Deno.chmod(dir, 0o755);
  const loop = new PollLoop();
  const handled: FifoRequest[] = [];
  const logged: string[] = [];
  const path = `${dir}/initctl.fifo`;
  const options = (extra: Partial<CommandFifoOptions> = {}): CommandFifoOptions => ({
    path,
    loop,
    euid: uid,
    handle: (r) => {
      handled.push(r);
      return Promise.resolve();
    },
    log: (p, m) => logged.push(`${p}: ${m}`),
    ...extra,
  });
  try {
    await fn({ dir, path, loop, handled, logged, options });
  } finally {
    await loop.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Writes `text` to the FIFO as a launcher does (read-write open: never waits). */
async function write(path: string, text: string): Promise<void> {
  const out = await new Deno.Command("sh", {
    args: ["-c", 'printf %s "$1" 1<>"$2"', "sh", text, path],
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
}

Deno.test("command fifo: made 0600 and ours, read in the poll loop in order, removed on close", async () => {
  await withDir(async ({ path, handled, logged, options }) => {
    const fifo = CommandFifo.open(options());
    const st = Deno.lstatSync(path);
    assert.ok(st.isFifo);
    assert.equal(st.mode! & 0o7777, 0o600);
    assert.equal(st.uid, uid);
    await write(path, "emit a\nbogus\nemit b X=1\ntelinit RUNLEVEL= 2\n");
    await fifo.caughtUp();
    assert.deepEqual(handled, [
      { kind: "emit", name: "a", env: [] },
      { kind: "emit", name: "b", env: ["X=1"] },
      { kind: "telinit", args: ["2"], runlevel: "" },
    ]);
    assert.deepEqual(logged, [`warn: ${path}: line dropped: unknown command "bogus"`]);
    // Without caughtUp: the poll loop reads it.
    await write(path, "emit c\n");
    // A generous deadline: on a loaded machine the poll loop's turn can take seconds.
    for (const end = Date.now() + 15_000; handled.length < 4 && Date.now() < end;) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.deepEqual(handled.at(-1), { kind: "emit", name: "c", env: [] });
    fifo.close();
    assert.throws(() => Deno.lstatSync(path), Deno.errors.NotFound);
  });
});

Deno.test("command fifo: a failing handler is logged; the next line is still handled", async () => {
  await withDir(async ({ path, logged, handled, options }) => {
    const fifo = CommandFifo.open(options({
      handle: (r) => {
        if (r.kind === "emit" && r.name === "bad") return Promise.reject(new Error("boom"));
        handled.push(r);
        return Promise.resolve();
      },
    }));
    await write(path, "emit bad\nemit good\n");
    await fifo.caughtUp();
    assert.deepEqual(handled, [{ kind: "emit", name: "good", env: [] }]);
    assert.deepEqual(logged, [`error: ${path}: emit failed: Error: boom`]);
    fifo.close();
  });
});

Deno.test({
  name: "command fifo: a path or directory not the daemon's alone is refused and left alone",
  ignore: uid !== 0,
  async fn() {
    await withDir(async ({ dir, path, options }) => {
      await Deno.writeTextFile(path, "not a fifo");
      assert.throws(() => CommandFifo.open(options()), FifoRefusedError);
      assert.equal(await Deno.readTextFile(path), "not a fifo");
      await Deno.remove(path);

      // Another user's FIFO (root's tools would write to it for nobody to read).
      await new Deno.Command("mkfifo", { args: ["-m", "600", path] }).output();
      Deno.chownSync(path, 65534, 65534);
      assert.throws(() => CommandFifo.open(options()), /owned by uid 65534/);
      assert.equal(Deno.lstatSync(path).uid, 65534);
      await Deno.remove(path);

      // A symlink to a FIFO of ours.
      await new Deno.Command("mkfifo", { args: ["-m", "600", `${dir}/elsewhere`] }).output();
      Deno.symlinkSync(`${dir}/elsewhere`, path);
      assert.throws(() => CommandFifo.open(options()), /not a FIFO/);
      await Deno.remove(path);

      // A directory others may write to.
      await Deno.chmod(dir, 0o777);
      assert.throws(() => CommandFifo.open(options()), /is not the daemon's alone/);
      await Deno.chmod(dir, 0o755);
    });
  },
});

Deno.test("command fifo: a stale FIFO of ours is replaced", async () => {
  await withDir(async ({ path, options, handled }) => {
    await new Deno.Command("mkfifo", { args: ["-m", "644", path] }).output();
    const fifo = CommandFifo.open(options());
    assert.equal(Deno.lstatSync(path).mode! & 0o7777, 0o600);
    await write(path, "emit x\n");
    await fifo.caughtUp();
    assert.equal(handled.length, 1);
    fifo.close();
  });
});

Deno.test("command fifo: a kept fd is taken up, lines written meanwhile included", async () => {
  await withDir(async ({ path, options, handled }) => {
    // The old daemon's reader, in a poll loop of its own: the line below must reach the new one.
    const oldLoop = new PollLoop();
    const oldHandled: FifoRequest[] = [];
    const first = CommandFifo.open(options({
      loop: oldLoop,
      handle: (r) => {
        oldHandled.push(r);
        return Promise.resolve();
      },
    }));
    const fd = first.keepAcrossExec(true);
    // What a re-exec does: the old reader goes with its poll set (the exec drops it), without
    // removing the FIFO or closing the fd.
    await oldLoop.close();
    const ino = Deno.lstatSync(path).ino;
    await write(path, "emit during\n");
    const second = CommandFifo.open(options({ keptFd: fd }));
    assert.equal(second.fd, fd);
    assert.equal(Deno.lstatSync(path).ino, ino);
    await second.caughtUp();
    assert.deepEqual(handled, [{ kind: "emit", name: "during", env: [] }]);
    assert.deepEqual(oldHandled, []);
    second.close();
  });
});
