import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { startNode } from "./node.js";
import { DataDirLocked } from "./store/database.js";

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel, config.nodeId);
  process.on("unhandledRejection", (err) => log.error({ err }, "unhandled rejection"));

  let node;
  try {
    node = await startNode(config, log);
  } catch (err) {
    if (err instanceof DataDirLocked) {
      log.fatal(err.message);
      process.exit(3);
    }
    log.fatal({ err }, "failed to start");
    process.exit(1);
  }

  const shutdown = (signal: string) => {
    log.info({ signal }, "draining");
    // A hard cap: whatever still hangs after 10 s must not keep the process alive (PROTOCOL: exit within 10 s).
    setTimeout(() => {
      log.error("drain took too long; exiting");
      process.exit(1);
    }, 9_500).unref();
    node.stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, "error while draining");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

void main();
