import assert from "node:assert/strict";
import { DEFAULT_SECCOMP_DENY, seccompDenyList } from "./seccomp.ts";

Deno.test("seccompDenyList() is the default list plus deny minus allow, sorted", () => {
  assert.deepEqual(seccompDenyList({ default: false, deny: [], allow: [] }), []);
  assert.deepEqual(
    seccompDenyList({ default: false, deny: ["mount", "bpf", "mount"], allow: [] }),
    [
      "bpf",
      "mount",
    ],
  );
  const all = seccompDenyList({ default: true, deny: ["chroot"], allow: ["ptrace", "mount"] });
  assert.equal(all.includes("chroot"), true);
  assert.equal(all.includes("ptrace"), false);
  assert.equal(all.includes("mount"), false);
  assert.equal(all.includes("kexec_load"), true);
  assert.equal(all.length, DEFAULT_SECCOMP_DENY.length - 2 + 1);
  // allow wins over deny, whatever the order of the lines
  assert.deepEqual(seccompDenyList({ default: false, deny: ["bpf"], allow: ["bpf"] }), []);
});

Deno.test("the default deny-list covers module loading, mounts, reboot and kexec", () => {
  for (const name of ["init_module", "finit_module", "mount", "umount2", "reboot", "kexec_load"]) {
    assert.equal(DEFAULT_SECCOMP_DENY.includes(name), true, name);
  }
  assert.equal(new Set(DEFAULT_SECCOMP_DENY).size, DEFAULT_SECCOMP_DENY.length);
});
