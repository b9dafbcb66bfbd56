/**
 * Files in chats: upload to a room, send as a message of type file, and show attachments.
 * Attachment bytes need the bearer token (members only), which <img src> and <a href> cannot
 * send: they are fetched here and shown through blob: URLs.
 */
import { ApiError, freshAccessToken, refreshTokens, request } from "./api.js";
import { el, setText, uuid } from "./dom.js";
import type { Connection } from "./socket.js";
import type { Attachment, AttachmentReply, Message, MessageReply } from "./types.js";


/** fetch with the bearer token, refreshed once on a 401. */
export async function authedFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const go = (token: string | null) => fetch(path, { ...init, headers: { ...(init.headers as Record<string, string>), ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  let token = await freshAccessToken();
  let res = await go(token);
  if (res.status === 401) {
    token = await refreshTokens(token ?? undefined);
    if (token) res = await go(token);
  }
  if (!res.ok) {
    let detail = `HTTP ${res.status}`;
    try {
      detail = ((await res.json()) as { detail?: string }).detail ?? detail;
    } catch {
      // not a problem document
    }
    throw new ApiError(res.status, "HTTP_" + res.status, detail);
  }
  return res;
}

export async function uploadForm<T>(path: string, form: FormData): Promise<T> {
  return (await (await authedFetch(path, { method: "POST", body: form })).json()) as T;
}

/** Uploads the file to the room, then sends it as a message (socket first, HTTP when offline). */
export async function sendFile(conn: Connection, roomId: string, file: File): Promise<Message> {
  const form = new FormData();
  form.append("file", file, file.name);
  const { attachment } = await uploadForm<AttachmentReply>(`/api/rooms/${encodeURIComponent(roomId)}/attachments`, form);
  // The socket's message:send payload is the HTTP body plus roomId (src/protocol/messages.ts).
  const body = { clientMsgId: uuid(), text: "", attachmentIds: [attachment.id] };
  if (conn.connected) return (await conn.call("message:send", { ...body, roomId })).message;
  return (await request<MessageReply>("POST", `/api/rooms/${encodeURIComponent(roomId)}/messages`, { body })).message;
}

/** The composer's "attach" button: pick files, each becomes its own message. */
export function attachButton(conn: Connection, roomId: string, sent: (m: Message) => void): HTMLElement {
  const input = el("input", { type: "file", multiple: true, hidden: true, "aria-hidden": "true", tabindex: "-1" });
  const button = el("button", { type: "button", class: "secondary attach", "aria-label": "Attach a file", title: "Attach a file" }, "Attach");
  button.addEventListener("click", () => input.click());
  input.addEventListener("change", async () => {
    const files = [...(input.files ?? [])];
    input.value = "";
    button.disabled = true;
    try {
      for (const file of files) sent(await sendFile(conn, roomId, file));
    } catch (err) {
      button.title = `Not sent: ${(err as Error).message}`;
      alert(`The file could not be sent: ${(err as Error).message}`);
    } finally {
      button.disabled = false;
    }
  });
  return el("span", { class: "attach-wrap" }, input, button);
}

const blobUrls = new Map<string, Promise<string>>();
function blobUrl(path: string): Promise<string> {
  let url = blobUrls.get(path);
  if (!url) {
    url = authedFetch(path).then(async (res) => URL.createObjectURL(await res.blob()));
    url.catch(() => blobUrls.delete(path));
    blobUrls.set(path, url);
  }
  return url;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Downloads under the file's own name (the blob URL keeps the bearer token out of the link). */
async function download(a: Attachment, link: HTMLElement) {
  try {
    const href = await blobUrl(a.url);
    const tmp = el("a", { href, download: a.name, hidden: true });
    document.body.append(tmp);
    tmp.click();
    tmp.remove();
  } catch (err) {
    setText(link, `${a.name} (could not download: ${(err as Error).message})`);
  }
}

/** The attachments of one message: image previews, and a download link for every file. */
export function attachmentsView(list: Attachment[]): HTMLElement {
  return el(
    "span",
    { class: "files" },
    ...list.map((a) => {
      const link = el("button", { type: "button", class: "link file-link", title: `${a.contentType}, ${size(a.size)}` }, `${a.name} (${size(a.size)})`);
      link.addEventListener("click", () => void download(a, link));
      if (!a.thumbnailUrl) return el("span", { class: "file" }, link);
      const img = el("img", { class: "file-thumb", alt: a.name, loading: "lazy" });
      void blobUrl(a.thumbnailUrl).then(
        (src) => (img.src = src),
        () => img.remove(),
      );
      img.addEventListener("click", () => void download(a, link));
      return el("span", { class: "file" }, img, link);
    }),
  );
}
