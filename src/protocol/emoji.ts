/**
 * What a reaction may be (PROTOCOL.md, "Conversations"): one Unicode emoji — a single grapheme
 * (Intl.Segmenter, so skin tones, keycaps, flags and ZWJ sequences count as one) that is an RGI
 * emoji or a pictographic character (with or without the emoji variation selector) — or a
 * :shortcode: of 1–32 characters [a-z0-9_+-]. Digits and '#' alone have the Emoji property but are
 * not pictographic, so "1" is refused.
 */
import { SHORTCODE_MAX } from "./limits.js";

const SHORTCODE = new RegExp(`^:[a-z0-9_+-]{1,${SHORTCODE_MAX}}:$`);
// The v flag (properties of strings, for RGI_Emoji) is in Node.js 20; built from a string because
// the compiler's target predates it.
const EMOJI = new RegExp("^(?:\\p{RGI_Emoji}|\\p{Extended_Pictographic}\\uFE0F?)$", "v");
const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });

export function isReactionEmoji(value: string): boolean {
  if (value.length > SHORTCODE_MAX + 2) return false; // the longest ZWJ families are ~25 UTF-16 units
  if (SHORTCODE.test(value)) return true;
  const it = graphemes.segment(value)[Symbol.iterator]();
  const first = it.next();
  return !first.done && it.next().done === true && EMOJI.test(value);
}
