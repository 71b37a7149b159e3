import assert from "node:assert/strict";
import { parseCpuModel, parseOsRelease } from "./machine.ts";

Deno.test("parseOsRelease() reads PRETTY_NAME, quoted or not", () => {
  assert.equal(
    parseOsRelease('NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'),
    "Debian GNU/Linux 12 (bookworm)",
  );
  assert.equal(parseOsRelease("PRETTY_NAME=Alpine\n"), "Alpine");
  assert.equal(parseOsRelease("NAME=x\n"), null);
});

Deno.test("parseCpuModel() reads the first model name", () => {
  const text = "processor\t: 0\nmodel name\t: AMD EPYC 9B14\nprocessor\t: 1\nmodel name\t: other\n";
  assert.equal(parseCpuModel(text), "AMD EPYC 9B14");
  assert.equal(parseCpuModel("processor\t: 0\n"), null);
});
