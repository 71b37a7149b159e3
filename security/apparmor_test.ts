import assert from "node:assert/strict";
import { join } from "node:path";
import {
  appArmorEnabled,
  AppArmorSecurity,
  loadedProfiles,
  profileLoadArgv,
  profileSwitchArgv,
  switchFailure,
} from "./apparmor.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A kernel flag file saying `flag`, and a profile listing holding `listing` (or none). */
async function kernel(dir: string, flag: string, listing: string | null) {
  const enabled = join(dir, "enabled");
  const profiles = join(dir, "profiles");
  await Deno.writeTextFile(enabled, `${flag}\n`);
  if (listing !== null) await Deno.writeTextFile(profiles, listing);
  return { enabled, profiles };
}

Deno.test("profileLoadArgv() replaces the profile and writes the cache, as Upstart did", () => {
  assert.deepEqual(profileLoadArgv("/sbin/apparmor_parser", "/etc/apparmor.d/x"), [
    "/sbin/apparmor_parser",
    "-r",
    "-W",
    "/etc/apparmor.d/x",
  ]);
});

Deno.test("profileSwitchArgv() runs the rest of the command line under aa-exec -p", () => {
  assert.deepEqual(profileSwitchArgv("/usr/bin/aa-exec", "-odd name"), [
    "/usr/bin/aa-exec",
    "-p",
    "-odd name",
    "--",
  ]);
});

Deno.test("appArmorEnabled() reads the kernel's Y/N flag", async () => {
  await withDir(async (dir) => {
    const yes = join(dir, "yes");
    const no = join(dir, "no");
    await Deno.writeTextFile(yes, "Y\n");
    await Deno.writeTextFile(no, "N\n");
    assert.equal(appArmorEnabled(yes), true);
    assert.equal(appArmorEnabled(no), false);
    assert.equal(appArmorEnabled(join(dir, "missing")), false);
  });
});

Deno.test("loadedProfiles() takes the names off the kernel's listing, spaces included", () => {
  const listing = "web (enforce)\n/usr/bin/x (complain)\nmy app (enforce)\nweb//child (enforce)\n";
  assert.deepEqual([...loadedProfiles(listing)], ["web", "/usr/bin/x", "my app", "web//child"]);
  assert.deepEqual([...loadedProfiles("")], []);
});

Deno.test("switchFailure() refuses a kernel without AppArmor, naming the profile", async () => {
  await withDir(async (dir) => {
    const paths = await kernel(dir, "N", "web (enforce)\n");
    assert.equal(
      switchFailure("web", paths),
      "unable to switch to apparmor profile web: AppArmor is not available in this kernel",
    );
    assert.equal(
      switchFailure("web", { ...paths, enabled: join(dir, "missing") }),
      "unable to switch to apparmor profile web: AppArmor is not available in this kernel",
    );
    assert.equal(switchFailure(null, paths), null);
  });
});

Deno.test("switchFailure() refuses a profile the kernel has not loaded", async () => {
  await withDir(async (dir) => {
    const paths = await kernel(dir, "Y", "web (enforce)\nweb//child (complain)\n");
    assert.equal(switchFailure("web", paths), null);
    assert.equal(switchFailure("web//child", paths), null);
    assert.equal(
      switchFailure("db", paths),
      "unable to switch to apparmor profile db: no such profile is loaded",
    );
    // Not listed as such: left to aa-exec.
    assert.equal(switchFailure("unconfined", paths), null);
    assert.equal(switchFailure(":ns:web", paths), null);
    assert.equal(switchFailure("web//&db", paths), null);
  });
});

Deno.test("switchFailure() leaves the check to aa-exec when the listing is unreadable", async () => {
  await withDir(async (dir) => {
    const paths = await kernel(dir, "Y", null);
    assert.equal(switchFailure("db", paths), null);
  });
});

Deno.test("AppArmorSecurity.load() fails with a clear message when the kernel has no AppArmor", async () => {
  await withDir(async (dir) => {
    const { enabled } = await kernel(dir, "N", null);
    const result = await new AppArmorSecurity({ enabledPath: enabled }).load("/etc/p");
    assert.deepEqual(result, {
      ok: false,
      message: "unable to load apparmor profile /etc/p: AppArmor is not available in this kernel",
    });
  });
});
