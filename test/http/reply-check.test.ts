// CHECK_REPLIES (on in every test node): a reply that does not match the schema its route
// documents is a 500, so the whole suite fails on a drift between code and contract. This checks
// the check itself, on a route of its own, without a database.
import { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { expect } from "chai";
import express, { Router } from "express";
import { pino } from "pino";
import { z } from "zod";
import { problemHandler } from "../../src/http/problem.js";
import { defineRoute, type RouteKit } from "../../src/http/route.js";
import { Api } from "../helpers/api.js";
import { expectProblem } from "./expect.js";

const Thing = z.object({ thing: z.object({ id: z.string(), count: z.number().int() }) });

async function serve(checkReplies: boolean) {
  const router = Router();
  const kit: RouteKit = { router, registry: new OpenAPIRegistry(), authenticate: (_req, _res, next) => next(), checkReplies };
  const reply = { good: { thing: { id: "a", count: 1 } }, bad: { thing: { id: "a", count: "one" } } } as const;
  for (const which of ["good", "bad"] as const) {
    defineRoute(kit, { method: "get", path: `/${which}`, summary: which, tag: "test", auth: false, responses: { 200: { description: "a thing", schema: Thing } } }, async () => ({
      status: 200,
      body: reply[which] as never,
    }));
  }
  defineRoute(kit, { method: "get", path: "/undocumented", summary: "u", tag: "test", auth: false, responses: { 200: { description: "a thing", schema: Thing } } }, async () => ({
    status: 201,
    body: reply.good,
  }));
  const app = express();
  app.use("/api", router);
  app.use(problemHandler(pino({ level: "silent" })));
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as { port: number };
  return { api: new Api(`http://127.0.0.1:${port}`), close: () => new Promise((resolve) => server.close(resolve)) };
}

describe("reply check (CHECK_REPLIES)", () => {
  it("answers 500 INTERNAL for a reply that does not match its documented schema, or an undocumented status", async () => {
    const { api, close } = await serve(true);
    try {
      expect((await api.get("/api/good")).status).to.equal(200);
      expectProblem(await api.get("/api/bad"), "INTERNAL");
      expectProblem(await api.get("/api/undocumented"), "INTERNAL");
    } finally {
      await close();
    }
  });

  it("is off unless asked for: production sends what the handler returns", async () => {
    const { api, close } = await serve(false);
    try {
      const res = await api.get("/api/bad");
      expect(res.status).to.equal(200);
      expect(res.body.thing.count).to.equal("one");
    } finally {
      await close();
    }
  });
});
