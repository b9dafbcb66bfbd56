// One use case, one schema, both doors (issue 18): a payload both doors accept is parsed by one
// schema in src/protocol, so the same malformed input gets the same coded error (VALIDATION, the
// same field paths and messages) whether it came as an HTTP body or as a socket event's payload.
// The socket's payload is the HTTP body plus `roomId` (the room HTTP names in the path).
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { MessageSendPayload, SendMessageBody } from "../../src/protocol/messages.js";
import { ReadBody, ReceiptReadPayload } from "../../src/protocol/receipts.js";
import { signUp, type TestUser } from "../helpers/api.js";
import { useNode } from "../helpers/suite.js";
import { groupWith } from "../helpers/rooms.js";
import { connectSocket, emitAck, type ClientSocket } from "../helpers/sockets.js";

interface Door {
  /** The socket event whose payload is the body plus roomId. */
  event: "message:send" | "receipt:read";
  /** The HTTP route taking the same body, for a room id. */
  path: (roomId: string) => string;
  valid: () => Record<string, unknown>;
  /** Each malformed body and the field paths its error must name. */
  malformed: { name: string; body: () => Record<string, unknown>; fields: string[] }[];
}

const NUL = "\u0000";

const DOORS: Door[] = [
  {
    event: "message:send",
    path: (roomId) => `/api/rooms/${roomId}/messages`,
    valid: () => ({ clientMsgId: randomUUID(), text: "hello" }),
    malformed: [
      { name: "text is a number", body: () => ({ clientMsgId: randomUUID(), text: 42 }), fields: ["text"] },
      { name: "text is over 4,000 characters", body: () => ({ clientMsgId: randomUUID(), text: "x".repeat(4_001) }), fields: ["text"] },
      { name: "text holds NUL", body: () => ({ clientMsgId: randomUUID(), text: `a${NUL}b` }), fields: ["text"] },
      // Empty text without attachments is the use case's refusal, not the schema's: the same too.
      { name: "text is empty and there is no attachment", body: () => ({ clientMsgId: randomUUID(), text: "" }), fields: ["text"] },
      { name: "clientMsgId is missing", body: () => ({ text: "hello" }), fields: ["clientMsgId"] },
      { name: "clientMsgId is an operator object", body: () => ({ clientMsgId: { $gt: "" }, text: "hello" }), fields: ["clientMsgId"] },
      { name: "attachmentIds is not an array", body: () => ({ clientMsgId: randomUUID(), text: "hello", attachmentIds: "a" }), fields: ["attachmentIds"] },
      { name: "attachmentIds has 11 ids", body: () => ({ clientMsgId: randomUUID(), text: "hi", attachmentIds: Array.from({ length: 11 }, () => randomUUID()) }), fields: ["attachmentIds"] },
      { name: "a field the contract does not know", body: () => ({ clientMsgId: randomUUID(), text: "hello", sender: "me" }), fields: ["sender"] },
      { name: "two bad fields at once", body: () => ({ clientMsgId: "", text: 7 }), fields: ["clientMsgId", "text"] },
    ],
  },
  {
    event: "receipt:read",
    path: (roomId) => `/api/rooms/${roomId}/read`,
    valid: () => ({ seq: 1 }),
    malformed: [
      { name: "seq is missing", body: () => ({}), fields: ["seq"] },
      { name: "seq is negative", body: () => ({ seq: -1 }), fields: ["seq"] },
      { name: "seq is a string", body: () => ({ seq: "1" }), fields: ["seq"] },
      { name: "seq is not an integer", body: () => ({ seq: 1.5 }), fields: ["seq"] },
      { name: "seq is beyond 2^53", body: () => ({ seq: 2 ** 60 }), fields: ["seq"] },
      { name: "a field the contract does not know", body: () => ({ seq: 1, userId: randomUUID() }), fields: ["userId"] },
    ],
  },
];

describe("one use case, one schema: the socket payloads are the HTTP bodies plus roomId", () => {
  for (const [event, socket, http] of [
    ["message:send", MessageSendPayload, SendMessageBody],
    ["receipt:read", ReceiptReadPayload, ReadBody],
  ] as const) {
    it(`${event}: every field of the HTTP body is the very same schema, and roomId is the only addition`, () => {
      const socketShape: Record<string, unknown> = socket.shape;
      const httpShape: Record<string, unknown> = http.shape;
      expect(Object.keys(socketShape).sort()).to.deep.equal([...Object.keys(httpShape), "roomId"].sort());
      for (const [field, schema] of Object.entries(httpShape)) expect(socketShape[field], field).to.equal(schema);
      // Both refuse fields they do not know.
      expect(socket.safeParse({ ...socket.parse(validSocketPayload(event)), extra: 1 }).success).to.equal(false);
    });
  }
});

function validSocketPayload(event: "message:send" | "receipt:read"): Record<string, unknown> {
  const roomId = randomUUID();
  return event === "message:send" ? { roomId, clientMsgId: "c1", text: "hi" } : { roomId, seq: 1 };
}

describe("one use case, one schema, both doors", function () {
  const { node, api } = useNode();
  let alice: TestUser;
  let room: string;
  let socket: ClientSocket;

  before(async () => {
    const [a, b] = await Promise.all([signUp(api, "Alice"), signUp(api, "Bob")]);
    alice = a!;
    room = await groupWith(api, alice, [b!], "Both doors");
    socket = await connectSocket(node.url, alice.accessToken);
  });
  after(() => {
    socket?.close();
  });

  for (const door of DOORS) {
    describe(`${door.event} and POST ${door.path(":id")}`, () => {
      it("accept the same well-formed body", async () => {
        const http = await api.post(door.path(room), door.valid(), alice.accessToken);
        expect(http.status, JSON.stringify(http.body)).to.be.oneOf([200, 201]);
        const ack = await emitAck(socket, door.event, { ...door.valid(), roomId: room });
        expect(ack, JSON.stringify(ack)).to.include({ ok: true });
      });

      for (const bad of door.malformed) {
        it(`refuse it alike when ${bad.name}: VALIDATION naming ${bad.fields.join(", ")}`, async () => {
          const body = bad.body();
          const http = await api.post(door.path(room), body, alice.accessToken);
          const ack = await emitAck(socket, door.event, { ...body, roomId: room });

          expect(http.status, JSON.stringify(http.body)).to.equal(400);
          expect(http.body.code).to.equal("VALIDATION");
          expect(ack.ok, JSON.stringify(ack)).to.equal(false);
          expect(ack.error.code).to.equal("VALIDATION");

          const httpErrors: { path: string; message: string }[] = http.body.errors;
          const socketErrors: { path: string; message: string }[] = ack.error.errors;
          expect([...new Set(httpErrors.map((e) => e.path))].sort(), "HTTP errors[].path").to.deep.equal([...bad.fields].sort());
          // Same paths and the same words: one schema (or one use case) answered both.
          expect(socketErrors, "the socket's errors vs HTTP's").to.deep.equal(httpErrors);
        });
      }
    });
  }
});
