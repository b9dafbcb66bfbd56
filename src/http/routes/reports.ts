import { createReport, type ReportDeps } from "../../domain/reports.js";
import { ReportBody, ReportReply } from "../../protocol/reports.js";
import { defineRoute, type RouteKit } from "../route.js";

export function registerReportRoutes(kit: RouteKit, deps: ReportDeps) {
  defineRoute(
    kit,
    {
      method: "post",
      path: "/reports",
      summary: "Report a message of a room the caller is in, or a user (exactly one of messageId and userId)",
      tag: "reports",
      body: ReportBody,
      responses: { 201: { description: "Reported (an open report of the same message or user by the caller is returned again)", schema: ReportReply } },
    },
    async ({ auth, body }) => ({ status: 201, body: { report: await createReport(deps, auth.userId, body) } }),
  );
}
