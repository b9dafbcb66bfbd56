// What "matches" means for message search, and the snippet shown with each result.
// A query matches a message when its folded form is a substring of the message's folded form:
// no word splitting and no stemming, so it works the same for every script ("안녕" inside
// "안녕하세요", "京都" inside "東京都庁", "ello" inside "Hello"). Both index adapters store and
// query the folded form this module defines, and the snippet highlights exactly what matched.
import { SEARCH_QUERY_MAX } from "../protocol/limits.js";
import type { SearchSnippet } from "../protocol/search.js";

// Wire limits are the contract's (src/protocol/limits.ts): re-exported for the callers that read them here.
export { SEARCH_QUERY_MAX };

/** How much text a snippet shows: up to this many UTF-16 code units, the match included. */
export const SNIPPET_LENGTH = 120;
/** Context kept before the first match, so it reads as a sentence and not as a bare word. */
const CONTEXT_BEFORE = 40;
/** A cut moves to the nearest space within this distance, so words are not chopped. */
const WORD_SNAP = 15;
const ELLIPSIS = "…";

/**
 * One character's case-folded form: upper-cased, then lower-cased, which unifies what plain
 * lower-casing leaves apart (the Greek final sigma "ς" and "σ", "ß" and "ss", "ﬁ" and "fi").
 * Per character rather than on the whole text, because the whole-text conversion depends on
 * context, and a query must fold the same way wherever it sits in a message.
 */
const foldChar = (ch: string) => ch.toUpperCase().toLowerCase();

/** The form queries are matched in: NFC (so a precomposed and a decomposed "é" are equal), then folded per character. */
export function foldText(text: string): string {
  let out = "";
  for (const ch of text.normalize("NFC")) out += foldChar(ch);
  return out;
}

/** `text` as a snippet shows it, with ranges into it (UTF-16 offsets, as String.prototype.slice takes them) that matched. */
export type Snippet = SearchSnippet;

/** The folded text with, for each of its code units, where the character it came from starts in `source`. */
function foldWithMap(source: string): { folded: string; from: number[] } {
  let folded = "";
  const from: number[] = [];
  for (let i = 0; i < source.length; ) {
    const ch = String.fromCodePoint(source.codePointAt(i)!);
    const f = foldChar(ch);
    folded += f;
    for (let k = 0; k < f.length; k++) from.push(i);
    i += ch.length;
  }
  return { folded, from };
}

const isLowSurrogate = (s: string, i: number) => i > 0 && i < s.length && /[\uDC00-\uDFFF]/.test(s[i]!);

/** Moves a cut at `at` to just after a space found within WORD_SNAP code units, towards `limit`. */
function snapForward(s: string, at: number, limit: number): number {
  const space = s.slice(at, Math.min(limit, at + WORD_SNAP)).search(/\s/);
  return space >= 0 ? at + space + 1 : at;
}

function snapBackward(s: string, at: number, limit: number): number {
  const window = s.slice(Math.max(limit, at - WORD_SNAP), at);
  const space = window.search(/\s\S*$/);
  return space >= 0 ? at - window.length + space : at;
}

/**
 * A short excerpt around the first match of `query` in `text`, with every match inside the
 * excerpt as a range. Plain text plus offsets rather than markup: clients render message text
 * as text, and a marker character could also occur in the message itself.
 */
export function snippetOf(text: string, query: string): Snippet {
  // One line: line breaks and tabs become spaces (one code unit each, so offsets stay put).
  const source = text.normalize("NFC").replace(/[\r\n\t\f\v]/g, " ");
  const needle = foldText(query);
  const { folded, from } = foldWithMap(source);
  const end = (k: number) => {
    // The source offset just after the character that folded code unit k came from.
    const at = from[k]!;
    return at + String.fromCodePoint(source.codePointAt(at)!).length;
  };
  const first = needle ? folded.indexOf(needle) : -1;
  if (first < 0) {
    // Nothing to point at (an empty query, or a text that changed since it matched): the opening.
    const stop = Math.min(source.length, SNIPPET_LENGTH);
    return cut(source, 0, stop < source.length ? snapBackward(source, stop, 1) : stop, []);
  }

  const matchStart = from[first]!;
  const matchEnd = end(first + needle.length - 1);
  let start = Math.max(0, matchStart - CONTEXT_BEFORE);
  if (start > 0) start = snapForward(source, start, matchStart);
  let stop = Math.min(source.length, Math.max(matchEnd, start + SNIPPET_LENGTH));
  if (stop < source.length) stop = snapBackward(source, stop, matchEnd);
  if (isLowSurrogate(source, start)) start += 1;

  const ranges: { start: number; end: number }[] = [];
  for (let k = first; k >= 0; k = folded.indexOf(needle, k + needle.length)) {
    const range = { start: from[k]!, end: end(k + needle.length - 1) };
    if (range.start >= stop) break;
    if (range.start >= start && range.end <= stop) ranges.push(range);
  }
  return cut(source, start, stop, ranges);
}

function cut(source: string, start: number, stop: number, ranges: { start: number; end: number }[]): Snippet {
  if (isLowSurrogate(source, stop)) stop += 1; // never half an emoji
  const before = start > 0 ? ELLIPSIS : "";
  const after = stop < source.length ? ELLIPSIS : "";
  const shift = before.length - start;
  return {
    text: before + source.slice(start, stop) + after,
    highlights: ranges.map((r) => ({ start: r.start + shift, end: r.end + shift })),
  };
}
