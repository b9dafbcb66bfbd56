// /api/admin/*: operators only. The operator check is the use case's first step (domain/admin.ts
// requireOperator), after the request is parsed: a malformed request is VALIDATION for anyone, a
// well-formed one from a non-operator is 403 FORBIDDEN whatever it names.
import { getStats, listAudit, listReports, resolveReport, type AdminDeps } from "../../domain/admin.js";
import { removeMessage, removeRoom } from "../../domain/moderation.js";
import { suspendUser, unsuspendUser } from "../../domain/suspensions.js";
import {
  AdminMessageParams,
  AdminReportReply,
  AdminReportsQuery,
  AdminReportsReply,
  AdminUserReply,
  AuditReply,
  OptionalReasonBody,
  ResolveReportBody,
  StatsReply,
  SuspendBody,
} from "../../protocol/admin.js";
import { IdParams, PageQuery } from "../../protocol/common.js";
import { defineRoute, type RouteKit } from "../route.js";

export function registerAdminRoutes(kit: RouteKit, deps: AdminDeps) {
  const tag = "admin";

  defineRoute(
    kit,
    { method: "get", path: "/admin/stats", summary: "Users, rooms, messages, and connected sockets per node", tag, responses: { 200: { description: "Statistics", schema: StatsReply } } },
    async ({ auth }) => ({ status: 200, body: await getStats(deps, auth.userId) }),
  );

  defineRoute(
    kit,
    {
      method: "get",
      path: "/admin/reports",
      summary: "Reports, newest first, each with the message reported as it is now",
      tag,
      query: AdminReportsQuery,
      responses: { 200: { description: "A page of reports", schema: AdminReportsReply } },
    },
    async ({ auth, query }) => ({ status: 200, body: await listReports(deps, auth.userId, query) }),
  );

  defineRoute(
    kit,
    {
      method: "post",
      path: "/admin/reports/:id/resolve",
      summary: "Resolve an open report (a resolved one is 409)",
      tag,
      params: IdParams,
      body: ResolveReportBody,
      responses: { 200: { description: "Resolved", schema: AdminReportReply } },
    },
    async ({ auth, params, body }) => ({ status: 200, body: { report: await resolveReport(deps, auth.userId, params.id, body.resolution) } }),
  );

  defineRoute(
    kit,
    {
      method: "post",
      path: "/admin/users/:id/suspend",
      summary: "Suspend an account: its logins end on every node at once and its login is refused (SUSPENDED)",
      tag,
      params: IdParams,
      body: SuspendBody,
      responses: { 200: { description: "Suspended", schema: AdminUserReply } },
    },
    async ({ auth, params, body }) => ({ status: 200, body: { user: await suspendUser(deps, auth.userId, params.id, body.reason) } }),
  );

  defineRoute(
    kit,
    {
      method: "post",
      path: "/admin/users/:id/unsuspend",
      summary: "Lift a suspension: the user may log in again",
      tag,
      params: IdParams,
      body: OptionalReasonBody,
      responses: { 200: { description: "Not suspended", schema: AdminUserReply } },
    },
    async ({ auth, params, body }) => ({ status: 200, body: { user: await unsuspendUser(deps, auth.userId, params.id, body.reason) } }),
  );

  defineRoute(
    kit,
    {
      method: "delete",
      path: "/admin/messages/:id",
      summary: "Delete any message (id <roomId>:<seq>) as its sender would: a tombstone, in sockets and search too",
      tag,
      params: AdminMessageParams,
      body: OptionalReasonBody,
      responses: { 204: { description: "Deleted" } },
    },
    async ({ auth, params, body }) => {
      await removeMessage(deps, auth.userId, params.id, body.reason);
      return { status: 204 };
    },
  );

  defineRoute(
    kit,
    {
      method: "delete",
      path: "/admin/rooms/:id",
      summary: "Delete a room: its members get room.removed and leave it on every node; its messages stay in storage, unreachable",
      tag,
      params: IdParams,
      body: OptionalReasonBody,
      responses: { 204: { description: "Deleted" } },
    },
    async ({ auth, params, body }) => {
      await removeRoom(deps, auth.userId, params.id, body.reason);
      return { status: 204 };
    },
  );

  defineRoute(
    kit,
    {
      method: "get",
      path: "/admin/audit",
      summary: "Every operator action, newest first (append-only)",
      tag,
      query: PageQuery,
      responses: { 200: { description: "A page of audit entries", schema: AuditReply } },
    },
    async ({ auth, query }) => ({ status: 200, body: await listAudit(deps, auth.userId, query) }),
  );
}
