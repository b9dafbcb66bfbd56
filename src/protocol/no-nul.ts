/**
 * PROTOCOL, hardening: no text field of any door accepts U+0000. PostgreSQL cannot store it in
 * text (error 22021), and no client has a reason to send it. Decided here once, for the whole
 * input of a request or event (every field, at any depth, keys included), so a field added
 * later is covered without anyone remembering it; each door's parse step calls this first.
 */
import type { FieldError } from "../domain/errors.js";

// Deep enough for any payload of ours; deeper nesting is refused as such by the schemas.
const MAX_DEPTH = 32;
const MESSAGE = "must not contain the NUL character (U+0000)";

export function nulFields(value: unknown, where: string): FieldError[] {
  const found: FieldError[] = [];
  const walk = (v: unknown, path: string[], depth: number) => {
    if (found.length >= 20 || depth > MAX_DEPTH) return;
    if (typeof v === "string") {
      if (v.includes("\u0000")) found.push({ path: path.join(".") || where, message: MESSAGE });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, [...path, String(i)], depth + 1));
    } else if (v !== null && typeof v === "object" && !ArrayBuffer.isView(v)) {
      for (const [key, item] of Object.entries(v)) {
        if (key.includes("\u0000")) found.push({ path: [...path, key.replaceAll("\u0000", "\\u0000")].join("."), message: MESSAGE });
        walk(item, [...path, key], depth + 1);
      }
    }
  };
  walk(value, [], 0);
  return found;
}
