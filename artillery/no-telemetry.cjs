// Preloaded into Artillery by the runner (node --require ./no-telemetry.cjs): Artillery 2.0.21 still
// sends an anonymised event to its telemetry host when ARTILLERY_DISABLE_TELEMETRY is set (and waits
// about 12 s for it at exit). The load tests send traffic to 127.0.0.1 only, so its PostHog client is
// replaced by one that does nothing.
"use strict";
const Module = require("node:module");

class NoTelemetry {
  capture() {}
  shutdown() {}
  async shutdownAsync() {}
}

const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === "posthog-node") return { PostHog: NoTelemetry };
  return load.call(this, request, parent, isMain);
};
