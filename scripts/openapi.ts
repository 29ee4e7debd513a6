import fs from 'node:fs';
import path from 'node:path';
import { apiDocument } from '../api/app';
import { loadExtensions } from '../extensions/registry';
import { ROOT } from './temporal';

/**
 * `npm run openapi`: writes the API's OpenAPI 3.1 document (the core and every built-in extension)
 * to docs/openapi.json. The test suite fails when the checked-in file differs from what the code
 * generates, or when a route is served without an operation.
 */
export const OPENAPI_FILE = path.join(ROOT, 'docs', 'openapi.json');

export function openApiText(): string {
  return `${JSON.stringify(apiDocument(loadExtensions('all').api), null, 2)}\n`;
}

if (require.main === module) {
  fs.writeFileSync(OPENAPI_FILE, openApiText());
  console.log(`wrote ${path.relative(process.cwd(), OPENAPI_FILE)}`);
}
