// A stand-in OpenTelemetry collector for measuring what tracing costs a node: it accepts OTLP/HTTP
// trace exports (POST /v1/traces, either protocol), answers 200 at once and only counts them, so
// the node pays for making, batching, encoding and sending its spans, and nothing is decoded here.
//   npx tsx bench/otlp-sink.ts [--port 4318]
// Then, e.g.: BENCH_APP_ENV="OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318" npx tsx bench/chat.ts …
// On SIGINT/SIGTERM it prints the requests and bytes received (spans are not counted: that would
// mean decoding protobuf).

import http from "node:http";

const args = process.argv.slice(2);
const at = args.indexOf("--port");
const port = at >= 0 ? Number(args[at + 1]) : 4318;

let requests = 0;
let bytes = 0;
const started = Date.now();

const server = http.createServer((req, res) => {
  req.on("data", (chunk: Buffer) => (bytes += chunk.length));
  req.on("end", () => {
    requests++;
    // An empty ExportTraceServiceResponse is a valid answer in both encodings.
    res.writeHead(200, { "content-type": req.headers["content-type"] ?? "application/x-protobuf" });
    res.end(req.headers["content-type"]?.includes("json") ? "{}" : "");
  });
});

server.listen(port, "127.0.0.1", () => console.log(`otlp sink on http://127.0.0.1:${port}`));

const report = () => {
  const s = (Date.now() - started) / 1000;
  console.log(`otlp sink: ${requests} exports, ${(bytes / 1024 / 1024).toFixed(1)} MiB in ${s.toFixed(0)} s`);
  server.close();
  process.exit(0);
};
process.on("SIGINT", report);
process.on("SIGTERM", report);
