import type { z } from 'zod';
import { badRequest } from '../../common/errors';

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let cur = input;
  for (const key of path) cur = cur == null ? undefined : (cur as Record<PropertyKey, unknown>)[key];
  return cur;
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text && text.length > 200 ? `${text.slice(0, 200)}...` : String(text);
}

/** Nova's validation text for the first problem zod found. */
export function novaMessage(error: z.ZodError, input: unknown): string {
  const issue = error.issues[0];
  const path = issue.path;
  if (issue.code === 'unrecognized_keys') {
    const where = path.length ? path.join('/') : 'body';
    return `Invalid input for field/attribute ${where}. Value: ${show(valueAt(input, path))}. Additional properties are not allowed (${issue.keys.map((k) => `'${k}'`).join(', ')} ${issue.keys.length > 1 ? 'were' : 'was'} unexpected)`;
  }
  const value = valueAt(input, path);
  if (value === undefined && path.length > 0) {
    const parent = path.slice(0, -1);
    return `Invalid input for field/attribute ${parent.join('/') || 'body'}. Value: ${show(valueAt(input, parent))}. '${String(path[path.length - 1])}' is a required property`;
  }
  return `Invalid input for field/attribute ${path.join('/') || 'body'}. Value: ${show(value)}. ${issue.message}`;
}

/** Parses with a zod schema or throws Nova's 400. */
export function parseBody<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw badRequest(novaMessage(parsed.error, input));
  return parsed.data;
}
