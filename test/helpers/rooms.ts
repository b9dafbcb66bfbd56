import type { Api, TestUser } from "./api.js";

/** A group room owned by `owner` with every other user joined (invite + accept over HTTP). */
export async function groupWith(api: Api, owner: TestUser, others: TestUser[], name = "Group"): Promise<string> {
  const created = await api.post("/api/rooms", { type: "group", name, memberIds: others.map((u) => u.id) }, owner.accessToken);
  if (created.status !== 201) throw new Error(`create room: ${created.status} ${JSON.stringify(created.body)}`);
  for (const user of others) {
    const invites = await api.get("/api/invites", user.accessToken);
    const invite = invites.body.invites.find((i: { roomId: string }) => i.roomId === created.body.room.id);
    const accepted = await api.post(`/api/invites/${invite.id}/accept`, undefined, user.accessToken);
    if (accepted.status !== 200) throw new Error(`accept: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  }
  return created.body.room.id;
}
