import assert from "node:assert/strict";
import {
  closeFd,
  LibcError,
  listDir,
  O_RDONLY,
  openFd,
  pipe,
  readText,
  signalThread,
  writeFd,
} from "../../sys/libc.ts";
import { EPOLLIN } from "../../sys/epoll.ts";
import { LogFile } from "./log_file.ts";
import { drainLogPipe } from "./log_pipe.ts";
import { PollLoop } from "./poll_loop.ts";

const encoder = new TextEncoder();

Deno.test("PollLoop runs only while something is registered", async () => {
  const loop = new PollLoop();
  try {
    const [r, w] = pipe();
    const seen: number[] = [];
    loop.add(r, EPOLLIN, (ev) => {
      seen.push(ev);
      loop.remove(r);
    });
    writeFd(w, encoder.encode("x"));
    await loop.idle();
    assert.equal(loop.size, 0);
    assert.ok(seen.length === 1 && (seen[0]! & EPOLLIN) !== 0);
    closeFd(r);
    closeFd(w);
  } finally {
    await loop.close();
  }
});

Deno.test("a log pipe drains megabytes written in bursts, nothing lost", async () => {
  const dir = Deno.makeTempDirSync();
  const loop = new PollLoop();
  try {
    const [r, w] = pipe();
    const log = new LogFile(`${dir}/big.log`);
    const lp = drainLogPipe(loop, r, log);
    // The writer is another process (Deno's spawn cannot pass our fd: it opens it through
    // /proc), so the pipe fills (64 KiB) and the reader meets EAGAIN often.
    const out = await new Deno.Command("/bin/sh", {
      args: ["-c", `head -c 6000000 /dev/zero | tr '\\0' 'y' > /proc/${Deno.pid}/fd/${w}`],
    }).output();
    assert.equal(out.code, 0);
    closeFd(w);
    await lp.ended;
    log.close();
    assert.equal(lp.bytes(), 6_000_000);
    assert.equal(Deno.statSync(`${dir}/big.log`).size, 6_000_000);
  } finally {
    await loop.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("EAGAIN: a ready pipe already emptied by another reader stays registered", async () => {
  const dir = Deno.makeTempDirSync();
  const loop = new PollLoop();
  try {
    const [r, w] = pipe();
    // A second read end of the same pipe (opening a pipe's /proc link opens that pipe).
    const r2 = openFd(`/proc/self/fd/${r}`, O_RDONLY);
    const a = new LogFile(`${dir}/a.log`);
    const b = new LogFile(`${dir}/b.log`);
    const la = drainLogPipe(loop, r, a);
    const lb = drainLogPipe(loop, r2, b);
    writeFd(w, encoder.encode("hello\n"));
    // Both fds are ready in the same batch: the second reader meets EAGAIN and must not end.
    while (la.bytes() + lb.bytes() < 6) await new Promise((res) => setTimeout(res, 1));
    assert.equal(loop.size, 2, "neither reader ended on EAGAIN");
    writeFd(w, encoder.encode("again\n"));
    closeFd(w);
    await Promise.all([la.ended, lb.ended]);
    a.close();
    b.close();
    assert.equal(la.bytes() + lb.bytes(), 12);
  } finally {
    await loop.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("EINTR: a signal to the thread waiting in epoll_wait does not lose output", async () => {
  const dir = Deno.makeTempDirSync();
  let stopListening = () => {};
  const loop = new PollLoop();
  try {
    const [r, w] = pipe();
    const log = new LogFile(`${dir}/eintr.log`);
    const lp = drainLogPipe(loop, r, log);
    await new Promise((res) => setTimeout(res, 20));
    // Find the threads blocked in epoll_wait (ours, and the runtime's own) and interrupt them
    // with a signal that has a handler (so the wait fails with EINTR rather than nothing).
    const noop = () => {};
    Deno.addSignalListener("SIGCHLD", noop);
    stopListening = () => Deno.removeSignalListener("SIGCHLD", noop);
    const waiting = listDir("/proc/self/task").map(Number).filter((tid) =>
      /ep_poll|epoll/.test(readText(`/proc/self/task/${tid}/wchan`) ?? "")
    );
    assert.ok(waiting.length >= 1, "a thread waits in epoll_wait");
    const before = loop.waits;
    for (const tid of waiting) signalThread(tid, 17);
    for (const end = Date.now() + 15_000; loop.waits === before && Date.now() < end;) {
      await new Promise((res) => setTimeout(res, 2));
    }
    assert.ok(loop.waits > before, "the wait returned (EINTR) and was restarted");
    assert.equal(loop.size, 1);
    writeFd(w, encoder.encode("after the signal\n"));
    closeFd(w);
    await lp.ended;
    log.close();
    assert.equal(Deno.readTextFileSync(`${dir}/eintr.log`), "after the signal\n");
  } catch (e) {
    if (e instanceof LibcError) throw new Error(`libc: ${e.message}`);
    throw e;
  } finally {
    stopListening();
    await loop.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
