import type { Request } from 'express';
import { ctx } from '../context';

/** Nova's self and bookmark links for a resource of the caller's project. */
export function links(req: Request, collection: string, id: string) {
  const { baseUrl, caller } = ctx(req);
  return [
    { rel: 'self', href: `${baseUrl}/v2.1/${caller.projectId}/${collection}/${id}` },
    { rel: 'bookmark', href: `${baseUrl}/${caller.projectId}/${collection}/${id}` },
  ];
}
