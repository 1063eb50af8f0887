/**
 * `/openapi.json` and `/docs`. The document is built on first request, when every route is declared,
 * and kept: routes do not change while the service runs.
 */
import { z } from 'zod';
import type { ApiRouter } from '../api-router.js';
import { renderDocsPage } from '../docs-page.js';
import { buildOpenApiDocument, type OpenApiDocument } from '../openapi.js';

export function registerDocsRoutes(router: ApiRouter, version: string): void {
  let document: OpenApiDocument | undefined;
  let page: string | undefined;
  const openApi = () => {
    document ??= buildOpenApiDocument(router.routes, version);
    return document;
  };

  router.route({
    method: 'GET',
    url: '/openapi.json',
    access: 'public',
    tag: 'system',
    summary: 'This API as an OpenAPI 3.1 document',
    response: {
      description: 'The OpenAPI document',
      schema: z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) }),
    },
    handler: async () => openApi(),
  });

  router.route({
    method: 'GET',
    url: '/docs',
    access: 'public',
    tag: 'system',
    summary: 'This API as a page to read',
    response: { description: 'An HTML page', schema: z.string(), contentType: 'text/html' },
    async handler({ reply }) {
      page ??= renderDocsPage(openApi());
      reply.type('text/html; charset=utf-8');
      return page;
    },
  });
}
