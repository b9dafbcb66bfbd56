/**
 * Files in chats: upload to a room, send as a message (through the outbox, like any message:
 * retried with the same clientMsgId until stored), and show attachments. Attachment bytes need the
 * bearer token (members only), which <img src> and <a href> cannot send: they are fetched here
 * and shown through blob: URLs.
 */
import type { ChatClient } from "@chat-backend/client";
import { rest } from "./client.js";
import { el, setText } from "./dom.js";
import type { Attachment } from "./types.js";

/** Uploads the file to the room, then queues it as a message; resolves once it is uploaded. */
async function sendFile(client: ChatClient, roomId: string, file: File): Promise<void> {
  const form = new FormData();
  form.append("file", file, file.name);
  const { attachment } = await client.rest.call("uploadAttachment", { params: { id: roomId }, body: form });
  client.send(roomId, "", { attachmentIds: [attachment.id] });
}

/** The composer's "attach" button: pick files, each becomes its own message. */
export function attachButton(client: ChatClient, roomId: string): HTMLElement {
  const input = el("input", { type: "file", multiple: true, hidden: true, "aria-hidden": "true", tabindex: "-1" });
  const button = el("button", { type: "button", class: "secondary attach", "aria-label": "Attach a file", title: "Attach a file" }, "Attach");
  button.addEventListener("click", () => input.click());
  input.addEventListener("change", async () => {
    const files = [...(input.files ?? [])];
    input.value = "";
    button.disabled = true;
    try {
      for (const file of files) await sendFile(client, roomId, file);
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
    url = rest()
      .download(path)
      .then((blob) => URL.createObjectURL(blob));
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
