/**
 * A Content-Disposition value for a user-chosen file name (RFC 6266, RFC 8187). The quoted
 * fallback keeps printable ASCII only, without `"` or `\`; the UTF-8 form is percent-encoded. So
 * whatever the name holds, it cannot end the quoted string or the header (no CR/LF: header
 * injection is impossible), and browsers still show the real name.
 */
export function contentDisposition(kind: "inline" | "attachment", name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
