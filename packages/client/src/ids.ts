/**
 * A fresh clientMsgId: the idempotency key of one send, kept for every retry of it (PROTOCOL.md,
 * guarantee 4). crypto.randomUUID exists in Node 20 and in browsers only on secure pages (https,
 * localhost); elsewhere the same version-4 UUID is made from getRandomValues, which exists everywhere.
 */
export function newClientMsgId(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === "function") return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
