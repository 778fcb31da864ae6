// The dialer page's files (`GET /`, `/app.js`, `/style.css`), read from `<package root>/dist/web`
// as the build left them. No token is needed for them (the page asks for one); every answer
// carries a strict Content-Security-Policy: the page's own script and style only, no inline code,
// connections to this gateway only, and no framing.
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Hono } from "hono";
import { isErrnoCode } from "../features/settings/secure-file.js";
import { packageRoot } from "../package-root.js";
import { errorResponse, type TransportBindings } from "./security.js";

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "script-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

const PAGE_FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};

/** `<package root>/dist/web`, where `npm run build` puts the page. */
export function defaultWebDir(): string {
  return path.join(packageRoot(), "dist", "web");
}

/**
 * Adds the page's routes. Files are read on each request (three small files): a rebuilt page is
 * served at once, and a gateway started before the build still finds it.
 */
export function addStaticRoutes<E extends { Bindings: TransportBindings }>(
  app: Hono<E>,
  webDir: string = defaultWebDir(),
): void {
  for (const [route, { file, type }] of Object.entries(PAGE_FILES)) {
    app.get(route, async () => {
      let body: Buffer;
      try {
        body = await readFile(path.join(webDir, file));
      } catch (error) {
        if (!isErrnoCode(error, "ENOENT")) throw error;
        return errorResponse(
          404,
          "not_found",
          "The dialer page is not built: run `npm run build` in the dial3cx package.",
        );
      }
      return new Response(new Uint8Array(body), { status: 200, headers: pageHeaders(type) });
    });
  }
}

function pageHeaders(type: string): Record<string, string> {
  return {
    "content-type": type,
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    // Revalidated on every load: a rebuilt gateway never runs yesterday's script.
    "cache-control": "no-cache",
  };
}
