// OpenTelemetry tracing (src/observability/tracing.ts, docs/metrics.md "Tracing"): a node with an
// OTLP endpoint exports its spans to a receiver in this process; one without loads no SDK at all.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { context, createContextKey, ROOT_CONTEXT } from "@opentelemetry/api";
import { expect } from "chai";
import { pino } from "pino";

import { ConfigError, loadConfig } from "../../src/config.js";
import { startTracing } from "../../src/observability/tracing.js";
import { Api, signUp } from "../helpers/api.js";
import { eventually } from "../helpers/eventually.js";
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "../helpers/otlp-receiver.js";
import { spawnNode } from "../helpers/processes.js";
import { emitAck } from "../helpers/sockets.js";
import { useNode } from "../helpers/suite.js";

const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;

describe("tracing: spans of a node exported over OTLP", function () {
  this.timeout(30_000);
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startOtlpReceiver();
  });
  const { node, api, connect } = useNode(async () => ({
    env: {
      NODE_ID: "traced-node",
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      // Exported within 50 ms of ending, so the test waits for little.
      OTEL_BSP_SCHEDULE_DELAY: "50",
    },
  }));
  // After the node's own after hook: its last spans are flushed to a receiver still listening.
  after(() => receiver.close());

  const spansOf = (traceId: string) => receiver.spans.filter((s) => s.traceId === traceId);
  const one = (what: string, match: (s: ReceivedSpan) => boolean) =>
    eventually(
      () => {
        const found = receiver.spans.find(match);
        if (!found) throw new Error(`no ${what} among ${receiver.spans.map((s) => s.name).join(", ") || "no spans"}`);
        return found;
      },
      { what },
    );

  /** Sends over HTTP in a trace of the test's own (a W3C traceparent), which the node must continue. */
  const sendTraced = async (roomId: string, token: string) => {
    const traceId = randomBytes(16).toString("hex");
    const parentId = randomBytes(8).toString("hex");
    const sent = await api.request("POST", `/api/rooms/${roomId}/messages`, {
      token,
      body: { clientMsgId: randomUUID(), text: "over HTTP" },
      headers: { traceparent: `00-${traceId}-${parentId}-01` },
    });
    expect(sent.status).to.equal(201);
    const request = await one("the send's server span", (s) => s.name === "POST /api/rooms/:id/messages" && s.traceId === traceId);
    expect(request.parentSpanId).to.equal(parentId);
    // A lone message commits alone: its commit is the request's child (and linked to it).
    const commit = await one("the commit span", (s) => s.name === "messages commit" && s.traceId === traceId);
    expect(commit.parentSpanId).to.equal(request.spanId);
    expect(commit.links).to.deep.include({ traceId, spanId: request.spanId });
    expect(commit.attributes["chat.commit.size"]).to.equal(1);
    return { request, commit };
  };

  it("an HTTP send is one trace: the request's span, its Prisma queries, the commit and the batch write", async () => {
    const alice = await signUp(api, "Alice");
    const created = await api.post("/api/rooms", { type: "group", name: "Traced" }, alice.accessToken);
    expect(created.status).to.equal(201);
    const roomId = created.body.room.id as string;

    // A room's first message: its head is not known yet, so the commit writes through Prisma.
    const first = await sendTraced(roomId, alice.accessToken);
    expect(first.request.kind).to.equal(SERVER);
    expect(first.request.attributes).to.include({ "http.request.method": "POST", "http.route": "/api/rooms/:id/messages", "http.response.status_code": 201 });
    expect(first.request.resource).to.include({ "service.name": "chat-backend", "service.instance.id": "traced-node" });
    await one("Prisma's spans under the first commit", (s) => s.parentSpanId === first.commit.spanId && s.name.startsWith("prisma:client:"));
    await one("the broadcast span", (s) => s.name === "broadcast message:new" && s.parentSpanId === first.request.spanId);

    // The next: the head is remembered, and the batch is one statement on the message-writes pool.
    const next = await sendTraced(roomId, alice.accessToken);
    const write = await one("the batch write's span", (s) => s.name === "pg message batch write" && s.parentSpanId === next.commit.spanId);
    expect(write.traceId).to.equal(next.request.traceId);
    expect(write.kind).to.equal(CLIENT);
    expect(write.attributes).to.include({ "db.system.name": "postgresql" });
    expect(write.attributes["db.query.text"]).to.be.a("string");

    // Prisma's queries (through the driver adapter) are in the trace of the request that made them.
    const creation = await one("the room creation's span", (s) => s.name === "POST /api/rooms");
    await eventually(() => expect(spansOf(creation.traceId).map((s) => s.name)).to.include.members(["prisma:client:operation", "prisma:client:db_query"]), {
      what: "Prisma spans in the room creation's trace",
    });
    // Probes and scrapes are not traced.
    await api.get("/healthz");
    expect(receiver.spans.some((s) => s.attributes["url.path"] === "/healthz")).to.equal(false);
  });

  it("a socket send is a span of its own with its phases; the commit is linked to it and the broadcast is its child", async () => {
    const bob = await signUp(api, "Bob");
    const roomId = (await api.post("/api/rooms", { type: "group", name: "Socket traced" }, bob.accessToken)).body.room.id as string;
    const socket = await connect(node, bob);
    expect((await emitAck(socket, "message:send", { roomId, clientMsgId: randomUUID(), text: "over a socket" })).ok).to.equal(true);
    const bad = await emitAck(socket, "message:send", { roomId, clientMsgId: randomUUID(), text: 42 });
    expect(bad.error.code).to.equal("VALIDATION");

    const event = await one("the socket event's span", (s) => s.name === "socket message:send" && s.attributes["chat.outcome"] === "ok");
    expect(event.kind).to.equal(SERVER);
    expect(event.parentSpanId).to.equal("");
    expect(event.attributes).to.include({ "socketio.event": "message:send" });
    expect(event.events).to.deep.equal(["validated", "handled"]);
    const commit = await one("the commit linked to the event", (s) => s.name === "messages commit" && s.links.some((l) => l.spanId === event.spanId));
    expect(commit.traceId).to.equal(event.traceId);
    await one("a database span under that commit", (s) => s.parentSpanId === commit.spanId && (s.name.startsWith("prisma:client:") || s.name.startsWith("pg ")));
    await one("the broadcast under the event", (s) => s.name === "broadcast message:new" && s.parentSpanId === event.spanId);

    // A refused payload is acked and traced, without a handler phase, and is the client's error, not the server's.
    const refused = await one("the refused event's span", (s) => s.name === "socket message:send" && s.attributes["chat.outcome"] === "VALIDATION");
    expect(refused.events).to.deep.equal([]);
    expect(refused.status).to.not.equal(ERROR);
  });
});

describe("tracing: configuration and the SDK's lifecycle", function () {
  this.timeout(30_000);
  const silent = pino({ level: "silent" });

  it("reads the standard OTEL_* variables; no endpoint, or OTEL_SDK_DISABLED, means off", () => {
    expect(loadConfig({}).tracing).to.equal(undefined);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_SDK_DISABLED: "true" }).tracing).to.equal(undefined);
    const on = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_EXPORTER_OTLP_HEADERS: "api-key=a%20b,x=1" }).tracing!;
    expect(on).to.deep.include({ endpoint: "http://collector:4318/v1/traces", protocol: "http/protobuf", serviceName: "chat-backend", headers: { "api-key": "a b", x: "1" } });
    expect(on.sampler).to.deep.equal({ root: "always_on", parentBased: true, ratio: 1 });
    const own = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/base/",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://traces.example/otlp",
      OTEL_SERVICE_NAME: "chat-eu",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.05",
    }).tracing!;
    expect(own).to.deep.include({ endpoint: "https://traces.example/otlp", serviceName: "chat-eu" });
    expect(own.sampler).to.deep.equal({ root: "traceidratio", parentBased: true, ratio: 0.05 });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/base" }).tracing!.endpoint).to.equal("http://collector:4318/base/v1/traces");
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4317", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })).to.throw(ConfigError, /grpc is not supported/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_RESOURCE_ATTRIBUTES: "novalue" })).to.throw(ConfigError, /key=value/);
  });

  it("exports over the default protocol (http/protobuf) and flushes at shutdown", async () => {
    const receiver = await startOtlpReceiver();
    try {
      // A long batch delay: only the shutdown's flush can have sent the span.
      const config = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: "60000" }).tracing;
      const tracing = (await startTracing(config, "proto-node", silent))!;
      const probe = createContextKey("probe");
      const flows = () => context.with(ROOT_CONTEXT.setValue(probe, 1), () => context.active().getValue(probe));
      expect(flows(), "a context reaches the code run in it while a node traces").to.equal(1);
      tracing.tracer.startSpan("protobuf-probe").end();
      await tracing.shutdown();
      expect(receiver.requests).to.have.length(1);
      const [sent] = receiver.requests;
      expect(sent!.contentType).to.equal("application/x-protobuf");
      // Protobuf carries strings as they are: the span's name and the resource's attributes.
      for (const text of ["protobuf-probe", "chat-backend", "proto-node"]) expect(sent!.body.includes(Buffer.from(text))).to.equal(true, text);
      // The last node tracing has let go of the process-wide context manager.
      expect(flows()).to.equal(undefined);
    } finally {
      await receiver.close();
    }
  });

  it("with no endpoint, a running node loads nothing of the SDK", async function () {
    // The node in a process of its own, whose every module resolution is recorded by a loader
    // hook: this process has loaded the SDK already, for the suites above.
    const dir = await mkdtemp(path.join(tmpdir(), "chat-untraced-"));
    try {
      const record = path.join(dir, "resolved.txt");
      const hooks = path.join(dir, "hooks.mjs");
      const register = path.join(dir, "register.mjs");
      await writeFile(
        hooks,
        `import { appendFileSync } from "node:fs";
         let file;
         export function initialize(data) { file = data.file; }
         export async function resolve(specifier, context, next) {
           const resolved = await next(specifier, context);
           if (resolved.url.includes("/node_modules/")) appendFileSync(file, resolved.url + "\\n");
           return resolved;
         }`,
      );
      await writeFile(register, `import { register } from "node:module"; register(${JSON.stringify(pathToFileURL(hooks).href)}, { data: { file: ${JSON.stringify(record)} } });`);
      const child = await spawnNode({ NODE_OPTIONS: `--import ${register}` });
      try {
        // The paths a message takes: an HTTP send (group commit, broadcast) and Prisma's queries.
        const api = new Api(child.url);
        const carol = await signUp(api, "Carol");
        const roomId = (await api.post("/api/rooms", { type: "group", name: "Untraced" }, carol.accessToken)).body.room.id as string;
        expect((await api.post(`/api/rooms/${roomId}/messages`, { clientMsgId: randomUUID(), text: "untraced" }, carol.accessToken)).status).to.equal(201);
      } finally {
        child.child.kill("SIGTERM");
        await child.exited;
      }
      const resolved = (await readFile(record, "utf8")).split("\n");
      const otel = [...new Set(resolved.flatMap((url) => /\/node_modules\/(@opentelemetry\/[^/]+|@prisma\/instrumentation)\//.exec(url)?.[1] ?? []))];
      // The API is loaded (the hot paths test for a tracer; prom-client uses it too), nothing else.
      expect(otel).to.deep.equal(["@opentelemetry/api"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
