/**
 * `/docs`: the OpenAPI document as one self-contained HTML page, rendered on the server. No script,
 * no CDN: it works offline and behind strict content-security policies. Each route shows who may call
 * it, its parameters, body and answers; the schemas are folded under `<details>`.
 */
import type { OpenApiDocument, OpenApiOperation } from './openapi.js';

const accessLabels: Record<string, string> = {
  public: 'anyone',
  customer: 'customer key',
  admin: 'admin key',
  gated: 'customer key, metered',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function schemaBlock(title: string, schema: unknown): string {
  return `<details><summary>${escapeHtml(title)}</summary><pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre></details>`;
}

function operationHtml(method: string, path: string, operation: OpenApiOperation): string {
  const id = escapeHtml(operation.operationId);
  const parts = [
    `<section id="${id}"><h3><span class="method ${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code></h3>`,
    `<p>${escapeHtml(operation.summary)} <span class="access">${escapeHtml(accessLabels[operation['x-access']] ?? operation['x-access'])}</span></p>`,
  ];
  if (operation.description) parts.push(`<p>${escapeHtml(operation.description)}</p>`);
  if (operation.parameters.length > 0) {
    const rows = operation.parameters.map(
      (parameter) =>
        `<tr><td><code>${escapeHtml(String(parameter.name))}</code></td><td>${escapeHtml(String(parameter.in))}</td><td>${parameter.required ? 'required' : ''}</td><td>${escapeHtml(String(parameter.description ?? ''))}</td></tr>`,
    );
    parts.push(`<table><tr><th>parameter</th><th>in</th><th></th><th></th></tr>${rows.join('')}</table>`);
  }
  if (operation.requestBody) parts.push(schemaBlock('Request body (JSON)', operation.requestBody));
  for (const [status, response] of Object.entries(operation.responses)) {
    parts.push(schemaBlock(`${status}: ${String(response.description ?? '')}`, response));
  }
  parts.push('</section>');
  return parts.join('\n');
}

export function renderDocsPage(document: OpenApiDocument): string {
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
  );
  const index = operations
    .map(
      ({ path, method, operation }) =>
        `<tr><td><a href="#${escapeHtml(operation.operationId)}">${escapeHtml(method.toUpperCase())} ${escapeHtml(path)}</a></td><td>${escapeHtml(accessLabels[operation['x-access']] ?? '')}</td><td>${escapeHtml(operation.summary)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(document.info.title)} API ${escapeHtml(document.info.version)}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; max-width: 960px; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; }
code, pre { font: 13px/1.4 ui-monospace, monospace; }
pre { background: #f5f5f5; padding: .75rem; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
td, th { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #e5e5e5; vertical-align: top; }
section { border-top: 1px solid #ddd; margin-top: 1.5rem; }
.method { display: inline-block; min-width: 4.5rem; font-size: 12px; padding: .1rem .4rem; border-radius: 3px; color: #fff; background: #555; text-align: center; }
.get { background: #2f6f3e; } .post { background: #2b5797; } .delete { background: #a4262c; }
.access { font-size: 12px; color: #666; margin-left: .5rem; }
</style>
</head>
<body>
<h1>${escapeHtml(document.info.title)} API <small>${escapeHtml(document.info.version)}</small></h1>
<p>${escapeHtml(document.info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${escapeHtml(document.openapi)}).</p>
<h2>Routes</h2>
<table><tr><th>route</th><th>who</th><th>what</th></tr>
${index}
</table>
${operations.map(({ path, method, operation }) => operationHtml(method, path, operation)).join('\n')}
<section><h2>Error envelope</h2>${schemaBlock('Error', document.components.schemas)}</section>
</body>
</html>
`;
}
