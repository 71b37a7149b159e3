import assert from "node:assert/strict";
import { closeFd, O_CREAT, O_WRONLY, openFd } from "./libc.ts";
import { exportDenyFilter, seccompAvailable, SeccompError, syscallNumber } from "./seccomp.ts";

Deno.test("syscallNumber() resolves the machine's numbers and rejects unknown names", () => {
  assert.equal(seccompAvailable(), true);
  if (Deno.build.arch === "x86_64") {
    assert.equal(syscallNumber("mount"), 165);
    assert.equal(syscallNumber("keyctl"), 250);
  }
  assert.throws(
    () => syscallNumber("frobnicate"),
    (e) => e instanceof SeccompError && e.code === "UNKNOWN_SYSCALL",
  );
});

Deno.test("exportDenyFilter() writes a BPF program: 8-byte instructions, one more per call", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const size = (deny: string[]) => {
      const path = `${dir}/${deny.length}.bpf`;
      const fd = openFd(path, O_WRONLY | O_CREAT, 0o600);
      try {
        exportDenyFilter(deny, fd);
      } finally {
        closeFd(fd);
      }
      return Deno.statSync(path).size;
    };
    const one = size(["mount"]);
    const two = size(["mount", "keyctl"]);
    assert.equal(one % 8, 0);
    assert.ok(two > one);
    assert.throws(() => size(["mount", "nope_nope"]), SeccompError);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
