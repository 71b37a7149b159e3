import assert from "node:assert/strict";
import {
  currentUmask,
  effectiveIds,
  getpgid,
  getpid,
  kill,
  LibcError,
  listDir,
  O_CREAT,
  O_NOFOLLOW,
  O_WRONLY,
  openFd,
  prlimit,
  readLink,
  readText,
  RLIMIT_RESOURCES,
  setPriority,
  strerror,
  umask,
  waitpidNoHang,
} from "./libc.ts";
import { readProcStat } from "./procfs.ts";

Deno.test("getpid() and effectiveIds() agree with /proc/self/status", () => {
  assert.equal(getpid(), Deno.pid);
  const status = readText("/proc/self/status") ?? "";
  const uid = /^Uid:\s+\d+\s+(\d+)/m.exec(status)?.[1];
  const gid = /^Gid:\s+\d+\s+(\d+)/m.exec(status)?.[1];
  assert.deepEqual(effectiveIds(), { euid: Number(uid), egid: Number(gid) });
  assert.equal(getpgid(0), readProcStat("self")?.pgrp);
});

Deno.test("umask() returns the previous mask and currentUmask() leaves it unchanged", () => {
  const old = umask(0o027);
  try {
    assert.equal(currentUmask(), 0o027);
    assert.equal(currentUmask(), 0o027);
  } finally {
    assert.equal(umask(old), 0o027);
  }
});

Deno.test("kill() and waitpidNoHang() throw LibcError with errno and glibc's text", () => {
  kill(getpid(), 0);
  assert.throws(
    () => kill(2 ** 22 + 12345, 0),
    (e) =>
      e instanceof LibcError && e.code === "ESRCH" && e.errno === 3 &&
      e.message === "kill() failed: No such process",
  );
  assert.throws(() => waitpidNoHang(1), (e) => e instanceof LibcError && e.code === "ECHILD");
  assert.throws(() => waitpidNoHang(-1), RangeError);
  assert.equal(strerror(2), "No such file or directory");
});

Deno.test("prlimit() and setPriority() change another process", async () => {
  const child = new Deno.Command("sleep", { args: ["30"], stdin: "null", stdout: "null" }).spawn();
  try {
    const nofile = RLIMIT_RESOURCES.nofile!;
    prlimit(child.pid, nofile, [64, 128]);
    assert.deepEqual(prlimit(child.pid, nofile), [64, 128]);
    assert.match(readText(`/proc/${child.pid}/limits`) ?? "", /Max open files\s+64\s+128/);
    prlimit(child.pid, RLIMIT_RESOURCES.core!, [0, "unlimited"]);
    assert.deepEqual(prlimit(child.pid, RLIMIT_RESOURCES.core!), [0, "unlimited"]);
    setPriority(child.pid, 7);
    assert.equal(readProcStat(child.pid)?.nice, 7);
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
});

Deno.test("file helpers read /proc and refuse to follow symlinks with O_NOFOLLOW", () => {
  assert.ok(listDir("/proc/self/fd").includes("0"));
  assert.equal(readLink("/proc/self/exe"), Deno.execPath());
  assert.equal(readText("/nonexistent/file"), null);
  const dir = Deno.makeTempDirSync();
  try {
    Deno.symlinkSync("/etc/hostname", `${dir}/link`);
    assert.throws(
      () => openFd(`${dir}/link`, O_WRONLY | O_CREAT | O_NOFOLLOW, 0o600),
      (e) => e instanceof LibcError && e.code === "ELOOP",
    );
    assert.throws(
      () => listDir(`${dir}/missing`),
      (e) => e instanceof LibcError && e.code === "ENOENT",
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
