// Bundle budget, checked by `make lint` on the production build (frontend/dist):
// 1. the initial JavaScript (index.html's entry script and its modulepreloads, plus their static
//    imports) is at most 150 kB gzipped;
// 2. nothing in the build talks to another host at run time (no absolute URL where the browser
//    would request it: fetch/import/src/href/url()/...; namespaces and doc links in messages pass).
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";

const LIMIT = 150 * 1024;
const dist = process.argv[2] ?? new URL("../dist/", import.meta.url).pathname;
const html = readFileSync(join(dist, "index.html"), "utf8");
const failures = [];

// Initial JS: every script/modulepreload in index.html, closed over static imports.
const initial = new Set();
const queue = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="\/([^"]+\.js)"/g)].map(
  (m) => m[1],
);
while (queue.length) {
  const file = queue.pop();
  if (initial.has(file)) continue;
  initial.add(file);
  const code = readFileSync(join(dist, file), "utf8");
  for (const m of code.matchAll(/(?:import|export)\s*(?:[\w*${}\s,]+from\s*)?["'](\.\/[^"']+\.js)["']/g)) {
    queue.push(join(file, "..", m[1]));
  }
}
let total = 0;
for (const file of initial) {
  const size = gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
  total += size;
  console.log(`  ${file}: ${(size / 1024).toFixed(1)} kB gzipped`);
}
console.log(`initial JavaScript: ${(total / 1024).toFixed(1)} kB gzipped (budget ${LIMIT / 1024} kB)`);
if (initial.size === 0) failures.push("no entry script found in index.html");
if (total > LIMIT) failures.push(`initial JavaScript ${total} bytes > ${LIMIT}`);

// Foreign hosts: an absolute URL in a position that makes the browser request it: fetch(),
// import(), sendBeacon/EventSource/WebSocket/Worker/importScripts, XHR open(), src/href/action/
// srcset attributes or JSX props, CSS url() and @import. Mentions of URLs in messages (React
// error decoder, library docs links, a URL parsing base such as http://localhost) are not requests.
const ABSOLUTE = String.raw`(?:https?|wss?):\/\/[^\s"'\x60)<>\\]+`;
const QUOTE = String.raw`["'\x60]`;
const REQUESTS = [
  new RegExp(String.raw`\b(?:fetch|import|sendBeacon|EventSource|WebSocket|Worker|SharedWorker|importScripts)\s*\(\s*${QUOTE}(${ABSOLUTE})`, "g"),
  new RegExp(String.raw`\.open\(\s*${QUOTE}[A-Z]+${QUOTE}\s*,\s*${QUOTE}(${ABSOLUTE})`, "g"),
  new RegExp(String.raw`\b(?:src|href|action|srcset|poster|data)\s*[=:]\s*${QUOTE}(${ABSOLUTE})`, "g"),
  new RegExp(String.raw`url\(\s*["']?(${ABSOLUTE})`, "g"),
  new RegExp(String.raw`@import\s+["'](${ABSOLUTE})`, "g"),
];
function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (/\.(js|css|html|webmanifest|svg)$/.test(entry.name)) yield path;
  }
}
let scanned = 0;
for (const path of files(dist)) {
  scanned += 1;
  const text = readFileSync(path, "utf8");
  for (const pattern of REQUESTS) {
    for (const m of text.matchAll(pattern)) {
      failures.push(`${relative(dist, path)}: request to another host: ${m[1]}`);
    }
  }
}
console.log(`scanned ${scanned} built files for requests to other hosts`);

if (failures.length) {
  for (const failure of failures) console.error(`budget: ${failure}`);
  process.exit(1);
}
console.log("budget: ok");
