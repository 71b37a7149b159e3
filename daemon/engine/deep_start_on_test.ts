/**
 * A job of 20,000 `start on` alternatives (a tree 20,000 deep) goes through a reload of its
 * unchanged file, a snapshot, the re-exec's serialisation and a restore without a stack overflow.
 */
import assert from "node:assert/strict";
import { parseJobConfig } from "../../parser/parse_job.ts";
import { stringifyDeep } from "./plain_data.ts";
import { Engine } from "./engine.ts";

const DEEP = `start on ${
  Array.from({ length: 20_000 }, (_, i) => `e${i}`).join(" or ")
}\ntask\nexec true\n`;
const parse = () => [
  parseJobConfig(DEEP, { name: "deep" }),
  parseJobConfig("exec sleep 1000\n", { name: "svc" }),
];

Deno.test("a 20,000-alternative start on: reloaded unchanged, snapshot, written, restored", () => {
  const engine = new Engine({ initEnv: ["PATH=/bin"] });
  engine.setClasses(parse());
  engine.start("svc", [], {});
  engine.setClasses(parse()); // unchanged: compared with the registered one
  const snap = engine.snapshot();
  const restored = Engine.restore(JSON.parse(stringifyDeep(snap)), { initEnv: ["PATH=/bin"] });
  assert.equal(restored.getClass("deep")!.startOn!.kind, "or");
  assert.equal(restored.instancesOf("svc").length, 1);
  restored.setClasses(parse());
  assert.equal(restored.instancesOf("svc").length, 1);
});
