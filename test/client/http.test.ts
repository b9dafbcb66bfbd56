// The SDK's HTTP door against a stand-in fetch: uploads go as multipart, files behind the login
// come back as Blobs, and a refusal that arrives after another call's refresh takes the new token
// instead of refreshing a second time (a refresh token is spent by use).
import { expect } from "chai";
import { ChatError, ChatRest, Http, MemoryTokenStore, Session } from "../../packages/client/src/index.js";

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch that records each request and answers with `answer` (which may wait). */
function fakeFetch(answer: (seen: Seen) => Response | Promise<Response>) {
  const seen: Seen[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    const s: Seen = { url, method: init.method ?? "GET", headers: init.headers as Record<string, string>, body: init.body };
    seen.push(s);
    return answer(s);
  }) as typeof globalThis.fetch;
  return { seen, fetch };
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

function restOf(fetch: typeof globalThis.fetch, refresher = async () => ({ accessToken: "t1", refreshToken: "r1" })) {
  const session = new Session(new MemoryTokenStore({ accessToken: "t0", refreshToken: "r0" }), refresher);
  return { session, rest: new ChatRest(new Http({ baseUrls: ["http://chat.test"], session, fetch })) };
}

describe("client SDK: HTTP", () => {
  it("uploads a FormData as multipart, leaving its content type (and boundary) to fetch", async () => {
    const attachment = { id: "00000000-0000-4000-8000-0000000000f1", name: "a.txt", contentType: "text/plain", size: 5, url: "/api/attachments/f1" };
    const { seen, fetch } = fakeFetch(() => json(201, { attachment }));
    const { rest } = restOf(fetch);
    const form = new FormData();
    form.append("file", new Blob(["hello"], { type: "text/plain" }), "a.txt");
    const reply = await rest.call("uploadAttachment", { params: { id: "room-1" }, body: form });
    expect(reply.attachment.id).to.equal(attachment.id);
    expect(seen[0]!.url).to.equal("http://chat.test/api/rooms/room-1/attachments");
    expect(seen[0]!.body).to.equal(form);
    expect(seen[0]!.headers).to.not.have.property("content-type");
    expect(seen[0]!.headers.authorization).to.equal("Bearer t0");
  });

  it("downloads a file the server names by URL as a Blob, refreshing a refused token once", async () => {
    const { seen, fetch } = fakeFetch((s) => (s.headers.authorization === "Bearer t1" ? new Response("bytes", { status: 200, headers: { "content-type": "application/octet-stream" } }) : json(401, { code: "UNAUTHORIZED" })));
    let refreshes = 0;
    const { rest } = restOf(fetch, async () => {
      refreshes++;
      return { accessToken: "t1", refreshToken: "r1" };
    });
    const blob = await rest.download("/api/attachments/f1");
    expect(await blob.text()).to.equal("bytes");
    expect(seen.map((s) => [s.url, s.headers.accept, s.headers.authorization])).to.deep.equal([
      ["http://chat.test/api/attachments/f1", "*/*", "Bearer t0"],
      ["http://chat.test/api/attachments/f1", "*/*", "Bearer t1"],
    ]);
    expect(refreshes).to.equal(1);
    // A path under /api works the same.
    expect(await (await rest.download("/me/exports/x/download")).text()).to.equal("bytes");
    expect(seen.at(-1)!.url).to.equal("http://chat.test/api/me/exports/x/download");
  });

  it("a refusal that comes after another call's refresh takes the new token: one refresh for both", async () => {
    let releaseLate!: () => void;
    const late = new Promise<void>((resolve) => (releaseLate = resolve));
    const { seen, fetch } = fakeFetch(async (s) => {
      if (s.headers.authorization === "Bearer t1") return json(200, { rooms: [] });
      if (s.url.endsWith("/invites")) await late; // its 401 is on the way while the other call refreshes
      return json(401, { code: "UNAUTHORIZED" });
    });
    let refreshes = 0;
    const { rest, session } = restOf(fetch, async () => {
      refreshes++;
      return { accessToken: `t${refreshes}`, refreshToken: `r${refreshes}` };
    });
    const slow = rest.request("GET", "/invites");
    await rest.request("GET", "/rooms");
    releaseLate();
    await slow;
    expect(refreshes).to.equal(1);
    expect(session.tokens).to.deep.equal({ accessToken: "t1", refreshToken: "r1" });
    expect(seen.map((s) => `${s.url.slice("http://chat.test/api".length)} ${s.headers.authorization}`)).to.deep.equal(["/invites Bearer t0", "/rooms Bearer t0", "/rooms Bearer t1", "/invites Bearer t1"]);
  });

  it("turns a problem document into a ChatError with the server's code", async () => {
    const { fetch } = fakeFetch(() => json(403, { code: "FORBIDDEN", detail: "wrong password" }));
    const { rest } = restOf(fetch);
    const err = await rest.call("deleteMe", { body: { password: "nope" } }).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(ChatError).and.include({ code: "FORBIDDEN", status: 403, message: "wrong password" });
  });
});
