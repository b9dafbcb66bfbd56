import { pipeline } from "node:stream/promises";
import type { RequestHandler } from "express";
import multer from "multer";
import { openAttachment, openThumbnail, uploadAttachment, type AttachmentDeps } from "../../domain/attachments.js";
import { Invalid } from "../../domain/errors.js";
import { requireMember } from "../../domain/rooms.js";
import { AttachmentReply } from "../../protocol/attachments.js";
import { Binary, IdParams } from "../../protocol/common.js";
import { parseRange } from "../byte-range.js";
import { contentDisposition } from "../content-disposition.js";
import { defineRoute, type RouteKit } from "../route.js";

// Shown in the page rather than downloaded: types a browser renders without running anything.
const INLINE = /^(image\/(png|jpeg|gif|webp|avif)|audio\/[\w.+-]+|video\/(mp4|webm|ogg)|application\/pdf)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Headers every stored upload is served with: the bytes are someone else's, never our page. */
function untrusted(res: Parameters<RequestHandler>[1]) {
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Content-Security-Policy", "default-src 'none'; sandbox");
  res.setHeader("Cross-Origin-Resource-Policy", "same-origin");
  // Members only, and an attachment never changes: a browser may keep it, shared caches may not.
  res.setHeader("Cache-Control", "private, max-age=31536000, immutable");
}

export function registerAttachmentRoutes(kit: RouteKit, deps: AttachmentDeps) {
  const tag = "files";
  const upload = multer({
    storage: multer.memoryStorage(),
    // Keep what the client sent: busboy would otherwise silently cut "../../x" to "x", and a
    // name with path parts is refused with a clear 400 instead (PROTOCOL.md).
    preservePath: true,
    // Browsers send UTF-8 file names unencoded; busboy's default would read them as latin1.
    defParamCharset: "utf8",
    limits: { fileSize: deps.attachmentMaxBytes, files: 1, fields: 5, parts: 6 },
  });
  // Membership before the body: a non-member's upload is refused without buffering it.
  const memberFirst: RequestHandler = async (req, res, next) => {
    const roomId = String(req.params.id ?? "");
    if (UUID.test(roomId)) await requireMember(deps, roomId, res.locals.auth.userId);
    next();
  };

  defineRoute(
    kit,
    {
      method: "post",
      path: "/rooms/:id/attachments",
      summary: "Upload a file to a room (multipart field `file`); then send a message with `attachmentIds: [id]`",
      tag,
      params: IdParams,
      multipart: { file: "file" },
      middleware: [memberFirst, upload.single("file")],
      responses: { 201: { description: "Stored", schema: AttachmentReply } },
    },
    async ({ auth, params, req }) => {
      if (!req.file) throw new Invalid("multipart field `file` is required", [{ path: "file", message: "is required" }]);
      const attachment = await uploadAttachment(deps, auth.userId, params.id, { bytes: req.file.buffer, fileName: req.file.originalname });
      return { status: 201, body: { attachment } };
    },
  );

  defineRoute(
    kit,
    {
      method: "get",
      path: "/attachments/:id",
      summary: "An attachment's bytes (room members only); a single `Range` gets 206",
      tag,
      params: IdParams,
      responses: {
        200: { description: "The file", schema: Binary, contentType: "*/*" },
        206: { description: "The requested byte range", schema: Binary, contentType: "*/*" },
        416: { description: "Range not satisfiable" },
      },
    },
    async ({ auth, params, req, res }) => {
      const { record, open } = await openAttachment(deps, auth.userId, params.id);
      const size = record.size;
      const etag = `"${record.id}"`;
      untrusted(res);
      res.setHeader("Accept-Ranges", "bytes");
      res.setHeader("ETag", etag);
      res.setHeader("Content-Type", record.contentType);
      res.setHeader("Content-Disposition", contentDisposition(INLINE.test(record.contentType) ? "inline" : "attachment", record.name));
      if (req.get("if-none-match") === etag) {
        res.status(304).end();
        return undefined;
      }
      // If-Range with another validator means the client's partial copy is stale: send it all.
      const ifRange = req.get("if-range");
      const range = ifRange && ifRange !== etag ? { kind: "full" as const } : parseRange(req.get("range"), size);
      if (range.kind === "unsatisfiable") {
        res.setHeader("Content-Range", `bytes */${size}`);
        res.removeHeader("Content-Disposition");
        res.status(416).end();
        return undefined;
      }
      const part = range.kind === "partial" ? { start: range.start, end: range.end } : undefined;
      const blob = await open(part);
      if (!blob) throw new Error(`attachment ${record.id} has no bytes in storage`);
      if (part) {
        res.status(206);
        res.setHeader("Content-Range", `bytes ${part.start}-${part.end}/${size}`);
        res.setHeader("Content-Length", String(part.end - part.start + 1));
      } else {
        res.status(200);
        res.setHeader("Content-Length", String(size));
      }
      if (req.method === "HEAD") {
        blob.stream.destroy();
        res.end();
        return undefined;
      }
      await pipeline(blob.stream, res).catch(() => res.destroy());
      return undefined;
    },
  );

  defineRoute(
    kit,
    {
      method: "get",
      path: "/attachments/:id/thumbnail",
      summary: "A preview of an image attachment (room members only)",
      tag,
      params: IdParams,
      responses: { 200: { description: "Image", schema: Binary, contentType: "image/*" } },
    },
    async ({ auth, params, req, res }) => {
      const thumb = await openThumbnail(deps, auth.userId, params.id);
      untrusted(res);
      res.setHeader("Content-Type", thumb.contentType);
      res.setHeader("Content-Length", String(thumb.size));
      if (req.method === "HEAD") {
        thumb.stream.destroy();
        res.end();
        return undefined;
      }
      await pipeline(thumb.stream, res).catch(() => res.destroy());
      return undefined;
    },
  );
}
