import assert from "node:assert/strict";
import { join } from "node:path";
import { appArmorEnabled, AppArmorSecurity, profileLoadArgv } from "./apparmor.ts";

Deno.test("profileLoadArgv() replaces the profile and writes the cache, as Upstart did", () => {
  assert.deepEqual(profileLoadArgv("/sbin/apparmor_parser", "/etc/apparmor.d/x"), [
    "/sbin/apparmor_parser",
    "-r",
    "-W",
    "/etc/apparmor.d/x",
  ]);
});

Deno.test("appArmorEnabled() reads the kernel's Y/N flag", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const yes = join(dir, "yes");
    const no = join(dir, "no");
    await Deno.writeTextFile(yes, "Y\n");
    await Deno.writeTextFile(no, "N\n");
    assert.equal(appArmorEnabled(yes), true);
    assert.equal(appArmorEnabled(no), false);
    assert.equal(appArmorEnabled(join(dir, "missing")), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("AppArmorSecurity.load() fails with a clear message when the kernel has no AppArmor", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const flag = join(dir, "enabled");
    await Deno.writeTextFile(flag, "N\n");
    const result = await new AppArmorSecurity({ enabledPath: flag }).load("/etc/p", "web");
    assert.deepEqual(result, {
      ok: false,
      message: "web: AppArmor is not available in this kernel; cannot load profile /etc/p",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
