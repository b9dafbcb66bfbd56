// Debian's Chromium driven by playwright-core, for the end-to-end suites (useBrowser: launched
// once per suite, skipped where there is no Chromium unless CI says it must be there, closed after
// it) and for a single test (requireChromium, launchChromium, openContext). Call useBrowser() first
// in the describe(), then useCluster()/useNode() for the nodes it talks to: a skipped suite then
// starts no node.
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions } from "playwright-core";
import { SHOTS } from "./screenshots.js";

const CHROMIUM = "/usr/bin/chromium";
const WEB_INDEX = fileURLToPath(new URL("../../web/dist/index.html", import.meta.url));

// Without the background-networking flags Chromium floods the closed network (shared/ENVIRONMENT.md).
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

export interface ContextOptions extends BrowserContextOptions {
  /** The context's default timeout for waits and actions (default 10 s). */
  timeout?: number;
}

/**
 * Skips the calling test or hook where there is no Chromium (fails instead when CI is set: CI must
 * have it), and fails where the web client is not built.
 */
export function requireChromium(ctx: Mocha.Context): void {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI) throw new Error(`${CHROMIUM} is missing; CI must install Debian's chromium (apt-get install chromium)`);
    console.log(`      (skipped: ${CHROMIUM} not found; install it with apt-get install chromium, or set CI=1 to fail instead)`);
    ctx.skip();
  }
  if (!existsSync(WEB_INDEX)) throw new Error("web/dist is missing: run `npm run build:web` (npm test's pretest does)");
}

/** Chromium, headless and quiet, with `flags` on top (default: --disable-quic). */
export function launchChromium(flags = ["--disable-quic"]): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...FLAGS, ...flags] });
}

/** A context on `baseURL`, 1280x800, en-US, UTC unless `opts` says otherwise. */
export async function openContext(browser: Browser, baseURL: string, { timeout = 10_000, ...opts }: ContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US", timezoneId: "UTC", ...opts, baseURL });
  context.setDefaultTimeout(timeout);
  return context;
}

export interface BrowserSuite {
  /** The running browser (from the suite's before hook on). */
  readonly browser: Browser;
  /** A context on `node` (see openContext), closed with the browser. */
  newContext(node: { url: string }, opts?: ContextOptions): Promise<BrowserContext>;
}

/** Registers the hooks that launch Chromium (`flags` as launchChromium takes them) before the suite and close it after. */
export function useBrowser(opts: { flags?: string[] } = {}): BrowserSuite {
  let browser: Browser | undefined;
  before(async function () {
    requireChromium(this);
    this.timeout(60_000);
    mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium(opts.flags);
  });
  after(async function () {
    this.timeout(30_000);
    await browser?.close();
  });
  const running = () => {
    if (!browser) throw new Error("the browser is not launched yet: use it in the suite's hooks and tests");
    return browser;
  };
  return {
    get browser() {
      return running();
    },
    newContext: (node, options) => openContext(running(), node.url, options),
  };
}
