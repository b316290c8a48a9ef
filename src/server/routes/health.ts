/**
 * @module
 * Liveness: `GET /healthz`, and `HEAD /` (Claude Code probes it first).
 */
import { Hono } from "hono";
import { VERSION } from "../../version.ts";

export const health = new Hono()
  .get("/healthz", (c) => c.json({ status: "ok" }))
  .on("HEAD", "/", (c) => c.body(null, 200))
  .get("/", (c) => c.json({ name: "subgate", version: VERSION, status: "ok" }));
