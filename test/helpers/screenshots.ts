import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where end-to-end suites save their screens: docs/screenshots/ (shown in the README) when
 * UPDATE_SCREENSHOTS is set, a temporary folder otherwise, so a test run leaves the tree clean.
 */
export const SHOTS = process.env.UPDATE_SCREENSHOTS
  ? fileURLToPath(new URL("../../docs/screenshots/", import.meta.url))
  : path.join(tmpdir(), "chat-e2e-screenshots") + path.sep;
