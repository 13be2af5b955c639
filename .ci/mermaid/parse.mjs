// Parses Mermaid charts with the Mermaid release pinned in package.json (DOM from jsdom).
// stdin: a JSON list of chart sources (the text between ```mermaid and ```).
// stdout: a JSON list with, per chart, {"ok": true, "type": <diagram type>} or {"ok": false, "error": <message>}.
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>", { pretendToBeVisual: true });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.DOMParser = dom.window.DOMParser;
globalThis.Element = dom.window.Element;

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const sources = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const mermaid = (await import("mermaid")).default;
mermaid.initialize({ startOnLoad: false });
const results = [];
for (const source of sources) {
  try {
    const parsed = await mermaid.parse(source);
    results.push({ ok: true, type: parsed.diagramType });
  } catch (error) {
    results.push({ ok: false, error: String(error?.message ?? error) });
  }
}
process.stdout.write(JSON.stringify(results));
