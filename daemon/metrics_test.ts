import assert from "node:assert/strict";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
console.log(parsePrometheusTextFormat('# TYPE a gauge\na{x="1"} 2\n'));
