// The browser client: `npm run build:web` writes static files to web/dist, which the server
// serves at `/` (src/composition/root.ts). No dev proxy: build, then run the server.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));
// The SDK from its sources (no build of packages/client first): the page is built on them.
const sdk = fileURLToPath(new URL("../packages/client/src/index.ts", import.meta.url));

export default defineConfig({
  root,
  base: "/",
  publicDir: false,
  logLevel: "warn",
  resolve: { alias: { "@chat-backend/client": sdk } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    reportCompressedSize: true,
    rolldownOptions: {
      // The service worker is a second entry with a fixed name at the root: its URL is its
      // identity and its scope (/sw.js controls /), so it cannot carry a content hash.
      input: { main: `${root}index.html`, sw: `${root}src/sw.ts` },
      output: { entryFileNames: (chunk) => (chunk.name === "sw" ? "sw.js" : "assets/[name]-[hash].js") },
    },
  },
});
