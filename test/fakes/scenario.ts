// Set-up shortcuts for unit tests: records made straight in the fakes (not through the use cases
// under test), and one way to look at a refusal.

import { expect } from "chai";
import { DomainError, type ErrorCode } from "../../src/domain/errors.js";
import type { RoomRecord } from "../../src/domain/ports/room-repository.js";
import type { UserRecord } from "../../src/domain/user.js";
import type { FakeDeps } from "./domain-deps.js";

/** Users named by their display names, e.g. `const [ann, bob] = await users(d, "Ann", "Bob")`. */
export async function users<const N extends readonly string[]>(d: FakeDeps, ...names: N): Promise<{ -readonly [K in keyof N]: UserRecord }> {
  const out: UserRecord[] = [];
  for (const name of names) out.push(await d.users.add({ displayName: name, email: `${name.toLowerCase()}@example.test` }));
  return out as { -readonly [K in keyof N]: UserRecord };
}

/** A group room owned by `owner` with `members` already in it (no invites, no feed events). */
export async function group(d: FakeDeps, owner: UserRecord, members: UserRecord[] = [], name = "Team"): Promise<RoomRecord> {
  const room = await d.rooms.createGroup(owner.id, name);
  for (const m of members) d.rooms.addMember(room.id, m.id);
  return room;
}

/** The pair's direct room. */
export async function direct(d: FakeDeps, a: UserRecord, b: UserRecord): Promise<RoomRecord> {
  return (await d.rooms.ensureDirect(a.id, b.id)).room;
}

/** Stores n messages from `sender` straight in the message store; returns their seqs. */
export async function messagesIn(d: FakeDeps, roomId: string, sender: UserRecord, n: number): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = 1; i <= n; i++) {
    const { message } = await d.messages.append(
      { roomId, senderId: sender.id, type: "text", text: `m${i}`, attachments: [], clientMsgId: `setup-${roomId}-${sender.id}-${d.messages.appended}` },
      d.clock.now(),
    );
    seqs.push(message.seq);
  }
  return seqs;
}

/**
 * The DomainError `work` rejects with, checked to carry `code`. Fails the test if `work` resolves
 * or rejects with anything that is not a DomainError (a TypeError from a bug is not a refusal).
 */
export async function refusal(work: Promise<unknown>, code: ErrorCode): Promise<DomainError> {
  let outcome: unknown;
  try {
    outcome = await work;
  } catch (err) {
    expect(err, `expected a DomainError ${code}, got ${String(err)}`).to.be.instanceOf(DomainError);
    expect((err as DomainError).code, (err as Error).message).to.equal(code);
    return err as DomainError;
  }
  expect.fail(`expected a refusal with ${code}, but it resolved with ${JSON.stringify(outcome)}`);
}
