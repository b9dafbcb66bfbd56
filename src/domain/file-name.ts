import { Invalid } from "./errors.js";

// 255 bytes: the common file-system limit, so a download can be saved under its own name.
export const FILE_NAME_MAX_BYTES = 255;

// C0 and C1 controls, DEL, and the bidirectional overrides/isolates that can make
// "invoice\u202Efdp.exe" display as "invoiceexe.pdf".
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/**
 * The name an uploaded file is shown and offered for download under. A client-supplied name is
 * never used as a path (storage keys are made by the server), but it reaches other users' screens
 * and a Content-Disposition header: path parts and control characters are refused, not
 * silently rewritten, so the uploader learns why (PROTOCOL.md: "or the upload is refused with 400").
 */
export function safeFileName(raw: string | undefined, field = "file"): string {
  const refuse = (message: string): never => {
    throw new Invalid(`file name ${message}`, [{ path: field, message: `name ${message}` }]);
  };
  const name = (raw ?? "").normalize("NFC").trim();
  if (name === "") refuse("is missing");
  if (/[/\\]/.test(name)) refuse("must not contain path separators (/ or \\)");
  if (CONTROL.test(name)) refuse("must not contain control characters");
  if (name === "." || name === "..") refuse("must not be . or ..");
  if (Buffer.byteLength(name, "utf8") > FILE_NAME_MAX_BYTES) refuse(`must be at most ${FILE_NAME_MAX_BYTES} bytes`);
  return name;
}
