// What a search matches (foldText) and the excerpt shown with each result (snippetOf).
import { expect } from "chai";
import { foldText, SNIPPET_LENGTH, snippetOf, type Snippet } from "../../src/domain/search-text.js";

/** The highlighted parts of a snippet, as a client would cut them out. */
const marked = (s: Snippet) => s.highlights.map((h) => s.text.slice(h.start, h.end));

describe("search text", () => {
  describe("foldText", () => {
    it("makes case, final sigma, sharp s and normal form irrelevant", () => {
      expect(foldText("HeLLo")).to.equal("hello");
      expect(foldText("ΟΔΟΣ")).to.equal(foldText("οδος"));
      expect(foldText("STRASSE")).to.equal(foldText("straße"));
      expect(foldText("Cafe\u0301")).to.equal(foldText("Café"));
    });

    it("leaves scripts without case as they are", () => {
      expect(foldText("안녕하세요")).to.equal("안녕하세요");
      expect(foldText("東京 🎉")).to.equal("東京 🎉");
    });
  });

  describe("snippetOf", () => {
    it("shows a short text whole, with every match marked", () => {
      const s = snippetOf("Hello world, hello again", "HELLO");
      expect(s.text).to.equal("Hello world, hello again");
      expect(s.highlights).to.deep.equal([{ start: 0, end: 5 }, { start: 13, end: 18 }]);
    });

    it("marks Korean inside a word", () => {
      const s = snippetOf("오늘 안녕하세요 여러분", "녕하");
      expect(marked(s)).to.deep.equal(["녕하"]);
      expect(s.highlights).to.deep.equal([{ start: 4, end: 6 }]);
    });

    it("cuts a long text around the first match at word boundaries, with ellipses", () => {
      const words = Array.from({ length: 60 }, (_, i) => `word${i}`);
      words[40] = "NEEDLE";
      const text = words.join(" ");
      const s = snippetOf(text, "needle");
      expect(s.text.startsWith("…")).to.equal(true);
      expect(s.text.endsWith("…")).to.equal(true);
      expect(s.text.length).to.be.at.most(SNIPPET_LENGTH + 2);
      expect(marked(s)).to.deep.equal(["NEEDLE"]);
      // Whole words only: the text between the ellipses starts and ends on a word of the message.
      const inner = s.text.slice(1, -1).split(" ");
      for (const w of inner) expect(words).to.include(w);
      expect(s.text.indexOf("NEEDLE"), "some context before the match").to.be.greaterThan(20);
    });

    it("keeps a match longer than the snippet whole", () => {
      const long = "x".repeat(150);
      const s = snippetOf(`start ${long} end`, long);
      expect(marked(s)).to.deep.equal([long]);
    });

    it("maps offsets back through characters whose folded form is longer", () => {
      // "ß" folds to "ss": the match on "ss" inside "straße" must mark "ß" itself, not shift what follows.
      const s = snippetOf("Große Straße", "STRASSE");
      expect(marked(s)).to.deep.equal(["Straße"]);
      const t = snippetOf("grüße aus köln", "ssE aus k");
      expect(marked(t)).to.deep.equal(["ße aus k"]);
    });

    it("never splits an emoji and puts line breaks on one line", () => {
      const s = snippetOf(`${"🎉".repeat(100)}\nparty`, "party");
      expect(s.text).to.not.match(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
      expect(s.text).to.not.include("\n");
      expect(marked(s)).to.deep.equal(["party"]);
    });

    it("shows the opening when the query is not in the text", () => {
      const s = snippetOf("a".repeat(10) + " " + "b".repeat(300), "zzz");
      expect(s.highlights).to.deep.equal([]);
      expect(s.text.startsWith("aaaaaaaaaa")).to.equal(true);
      expect(s.text.endsWith("…")).to.equal(true);
    });
  });
});
