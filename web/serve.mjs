#!/usr/bin/env node
// `npm run web`: builds the playground and serves it on http://127.0.0.1:8080 (PORT=… to change)
// with the cross-origin isolation headers (COOP/COEP) that SharedArrayBuffer, and so the wasm
// backend's threads, require. Serves web/ and the bundled Fashion-MNIST subset under /data/;
// nothing is fetched from anywhere else, so it works offline.
import { createServer } from "node:http";
import { createReadStream, statSync } from "node:fs";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { buildPlayground } from "./build.mjs";

const web = fileURLToPath(new URL(".", import.meta.url));
const data = fileURLToPath(new URL("../data/", import.meta.url));
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".map": "application/json", ".json": "application/json", ".png": "image/png", ".gz": "application/octet-stream", ".safetensors": "application/octet-stream", ".txt": "text/plain; charset=utf-8" };

/** The file a URL path names, or null when it is outside the served folders. */
function resolvePath(urlPath) {
  const path = decodeURIComponent(urlPath.split("?")[0]);
  const [root, rest] = path.startsWith("/data/") ? [data, path.slice("/data/".length)] : [web, path === "/" ? "index.html" : path.slice(1)];
  const file = normalize(join(root, rest));
  return file.startsWith(root.endsWith(sep) ? root : root + sep) ? file : null;
}

export function startServer(port = Number(process.env.PORT ?? 8080), host = "127.0.0.1") {
  const server = createServer((req, res) => {
    const headers = {
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
      "Cross-Origin-Resource-Policy": "same-origin",
      "Cache-Control": "no-cache",
    };
    const file = resolvePath(req.url ?? "/");
    let ok = false;
    try {
      ok = file !== null && statSync(file).isFile();
    } catch {}
    if (!ok) {
      res.writeHead(404, { ...headers, "content-type": "text/plain" }).end("not found");
      return;
    }
    res.writeHead(200, { ...headers, "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildPlayground();
  const server = await startServer();
  const { port } = server.address();
  console.log(`neurite playground: http://127.0.0.1:${port}/  (Ctrl-C to stop)`);
}
