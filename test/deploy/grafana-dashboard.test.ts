// The shipped Grafana dashboard (deploy/grafana/dashboards/chat.json) is valid JSON of the shape
// Grafana provisions, and every metric its queries name is one a running node exports.
import { readFile } from "node:fs/promises";

import { expect } from "chai";

import { useNode } from "../helpers/suite.js";

// PromQL functions, aggregations and keywords the dashboard uses; anything else outside braces is a metric.
const PROMQL = new Set(["histogram_quantile", "sum", "by", "rate", "avg", "max", "min", "without", "increase", "irate"]);
const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/;

/** Metric names in one query: identifiers outside `{…}`, `[…]` and `by (…)`, less PromQL's own words. */
function metricsIn(expr: string): string[] {
  const bare = expr.replace(/\{[^}]*\}/g, "").replace(/\[[^\]]*\]/g, "").replace(/\bby\s*\([^)]*\)/g, "");
  return (bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []).filter((w) => !PROMQL.has(w));
}

describe("the Grafana dashboard", function () {
  this.timeout(30_000);
  const { node } = useNode();

  it("is a provisionable dashboard whose every metric exists on a running node", async () => {
    const dashboard = JSON.parse(await readFile(new URL("../../deploy/grafana/dashboards/chat.json", import.meta.url), "utf8"));
    expect(dashboard).to.include({ uid: "chat-backend", title: "Chat backend" });
    expect(dashboard.panels).to.be.an("array").that.is.not.empty;
    const exprs: string[] = dashboard.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr));
    expect(exprs.length).to.be.at.least(dashboard.panels.length);
    for (const p of dashboard.panels) expect(p.datasource?.uid, p.title).to.equal("prometheus");

    // Every registered metric prints its # TYPE line, observed or not.
    const text = await (await fetch(`${node.url}/metrics`)).text();
    const exported = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
    const named = [...new Set(exprs.flatMap(metricsIn))];
    expect(named).to.include.members(["socketio_event_duration_seconds_bucket", "chat_message_commit_seconds_bucket", "chat_messages_sent_total"]);
    const missing = named.filter((n) => !exported.has(n) && !exported.has(n.replace(HISTOGRAM_SUFFIX, "")));
    expect(missing, "metrics the dashboard names that the node does not export").to.deep.equal([]);
  });
});
