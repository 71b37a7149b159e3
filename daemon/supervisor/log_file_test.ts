import assert from "node:assert/strict";
import { umask } from "../../sys/libc.ts";
import { LogFile, logFileName, logFilePath } from "./log_file.ts";

const enc = (s: string) => new TextEncoder().encode(s);

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("logFileName() names files by job and instance with / turned into _", () => {
  assert.equal(logFileName("foo", ""), "foo.log");
  assert.equal(logFileName("foo/bar", "wibble"), "foo_bar-wibble.log");
  assert.equal(logFileName("ilogger", "a/b"), "ilogger-a_b.log");
  assert.equal(logFilePath("/var/log/upstart", "a/b", ""), "/var/log/upstart/a_b.log");
});

Deno.test("LogFile creates its file on first output with mode 0640 whatever the umask", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/job.log`;
    const log = new LogFile(path);
    log.write(new Uint8Array(0));
    assert.equal(exists(path), false, "no output, no file");
    const old = umask(0o077);
    try {
      log.write(enc("line one\n"));
    } finally {
      umask(old);
    }
    assert.equal(Deno.statSync(path).mode! & 0o777, 0o640);
    log.write(enc("no newline"));
    assert.equal(log.close(), true);
    assert.equal(Deno.readTextFileSync(path), "line one\nno newline");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("LogFile appends to an existing file and leaves its mode alone", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/job.log`;
    Deno.writeTextFileSync(path, "old\n", { mode: 0o600 });
    Deno.chmodSync(path, 0o600);
    const log = new LogFile(path);
    log.write(enc("new\n"));
    log.close();
    assert.equal(Deno.readTextFileSync(path), "old\nnew\n");
    assert.equal(Deno.statSync(path).mode! & 0o777, 0o600);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("LogFile does not follow a symlink at its path", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/target`, "");
    Deno.symlinkSync(`${dir}/target`, `${dir}/job.log`);
    const log = new LogFile(`${dir}/job.log`);
    log.write(enc("secret\n"));
    assert.equal(Deno.readTextFileSync(`${dir}/target`), "");
    assert.equal(log.lastError, "ELOOP");
    assert.equal(log.state, "buffering");
    assert.equal(log.close(), false);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("LogFile re-creates its file when it was deleted while in use", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/job.log`;
    const log = new LogFile(path);
    log.write(enc("before\n"));
    Deno.removeSync(path);
    log.write(enc("after\n"));
    log.close();
    assert.equal(Deno.readTextFileSync(path), "after\n");
    assert.equal(Deno.statSync(path).mode! & 0o777, 0o640);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("LogFile buffers while its directory is missing and flushes later", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/later/job.log`;
    const log = new LogFile(path);
    log.write(enc("early "));
    log.write(enc("output\n"));
    assert.equal(log.state, "buffering");
    assert.equal(log.buffered, 13);
    assert.equal(log.lastError, "ENOENT");
    assert.equal(log.keepForLater, false, "only EROFS/EPERM/EACCES keep output for later");
    Deno.mkdirSync(`${dir}/later`);
    assert.equal(log.flush(), true);
    log.write(enc("more\n"));
    log.close();
    assert.equal(Deno.readTextFileSync(path), "early output\nmore\n");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("LogFile bounds its memory buffer and counts what it dropped", () => {
  const log = new LogFile("/nonexistent-dir/x/job.log", { maxBuffer: 10 });
  log.write(enc("0123456"));
  log.write(enc("789abcdef"));
  log.write(enc("z"));
  assert.equal(log.buffered, 10);
  assert.equal(log.dropped, 7);
});

Deno.test("LogFile discards further output after ENOSPC without throwing", () => {
  const log = new LogFile("/dev/full");
  log.write(enc("x\n"));
  assert.equal(log.lastError, "ENOSPC");
  assert.equal(log.state, "discarding");
  log.write(enc("y\n"));
  assert.equal(log.buffered, 0);
  assert.equal(log.close(), true);
});

Deno.test("LogFile never throws when the path cannot be a file", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/file`, "");
    const log = new LogFile(`${dir}/file/job.log`);
    log.write(enc("x"));
    assert.equal(log.lastError, "ENOTDIR");
    assert.equal(log.close(), false);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
