/**
 * daybreak's container-detect job (etc/init/container-detect.conf, docs/pid1.md#default-jobs):
 * its script, run as the daemon runs a script (`/bin/sh -e`), in a bubblewrap root of its own
 * (so this host's own /.dockerenv is not seen), with an `initctl` on PATH that records what it
 * was asked to emit.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parseJobConfig } from "../../parser/parse_job.ts";

const CONF = fileURLToPath(new URL("../../etc/init/container-detect.conf", import.meta.url));
const bwrap = await new Deno.Command("bwrap", { args: ["--version"], stdout: "null" }).output()
  .then((o) => o.success, () => false);
const skip = bwrap ? null : "bwrap is not installed";

/** What one run of the job's script did. */
interface Detected {
  readonly emitted: string;
  readonly containerType: string | null;
}

/** Runs the job's script with init's `container` variable and the given files at the root. */
async function detect(container: string | null, rootFiles: readonly string[]): Promise<Detected> {
  const spec = parseJobConfig(await Deno.readTextFile(CONF), { name: "container-detect" });
  const main = spec.processes.main;
  assert.ok(main?.script === true, "container-detect runs a script");
  const dir = await Deno.makeTempDir({ prefix: "daybreak-container-detect-" });
  try {
    await Deno.mkdir(`${dir}/bin`);
    await Deno.mkdir(`${dir}/run`);
    await Deno.writeTextFile(
      `${dir}/bin/initctl`,
      '#!/bin/sh\nprintf "%s\\n" "$*" >>/out/emitted\n',
      { mode: 0o755 },
    );
    // The job's `env container` gives the script init's variable, or nothing.
    const env = container === null ? [] : ["--setenv", "container", container];
    const files = rootFiles.flatMap((f) => ["--ro-bind", "/dev/null", f]);
    const out = await new Deno.Command("bwrap", {
      args: [
        ...["--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin"],
        ...["--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64"],
        ...["--proc", "/proc", "--dev", "/dev", "--bind", `${dir}/run`, "/run"],
        ...["--ro-bind", `${dir}/bin`, "/fake", "--bind", dir, "/out"],
        ...["--clearenv", "--setenv", "PATH", "/fake:/usr/bin:/bin", ...env],
        ...files,
        "/bin/sh",
        "-e",
        "-c",
        main.command,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    return {
      emitted: await Deno.readTextFile(`${dir}/emitted`).catch(() => ""),
      containerType: await Deno.readTextFile(`${dir}/run/container_type`).catch(() => null),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: skip === null
    ? "container-detect emits not-container on a machine with no sign of a container"
    : `container-detect emits not-container on a machine with no sign of a container (skipped: ${skip})`,
  ignore: skip !== null,
  fn: async () => {
    assert.deepEqual(await detect(null, []), {
      emitted: "emit --no-wait not-container\n",
      containerType: null,
    });
  },
});

Deno.test({
  name: skip === null
    ? "container-detect names the container from init's variable, then docker's and podman's files"
    : `container-detect names the container (skipped: ${skip})`,
  ignore: skip !== null,
  fn: async () => {
    assert.deepEqual(await detect("lxc", ["/.dockerenv"]), {
      emitted: "emit --no-wait container CONTAINER=lxc\n",
      containerType: "lxc\n",
    });
    assert.deepEqual(await detect(null, ["/.dockerenv"]), {
      emitted: "emit --no-wait container CONTAINER=docker\n",
      containerType: "docker\n",
    });
    assert.deepEqual(await detect(null, ["/run/.containerenv"]), {
      emitted: "emit --no-wait container CONTAINER=podman\n",
      containerType: "podman\n",
    });
  },
});
