import type { ErrorRequestHandler, RequestHandler } from 'express';
import { isNotFound } from '../entities/client-errors';
import { fromFailure, NovaError } from '../common/errors';
import { requestLog } from './observe';

/** A body-parser error: malformed JSON or an unsupported body. */
function bodyParserError(err: { type?: string; status?: number; message: string }): NovaError | undefined {
  if (err.type === 'entity.parse.failed') return new NovaError('badRequest', 'Malformed request body');
  if (err.type === 'entity.too.large') return new NovaError('overLimit', 'Request is too large.');
  if (err.type === 'charset.unsupported' || err.type === 'encoding.unsupported') {
    return new NovaError('badMediaType', err.message);
  }
  return undefined;
}

/**
 * A client mistake the HTTP layer found before any route ran: a path that does not decode, a body
 * nested too deep. Express and its router mark them with a 4xx `status`.
 */
function httpClientError(err: {
  status?: number;
  statusCode?: number;
  message?: string;
}): NovaError | undefined {
  const status = err.status ?? err.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  if (status === 404) return new NovaError('itemNotFound', 'The resource could not be found.');
  if (status === 413) return new NovaError('overLimit', 'Request is too large.');
  if (status === 415) return new NovaError('badMediaType', err.message ?? 'Unsupported media type');
  return new NovaError('badRequest', err.message ?? 'Bad request');
}

/** Renders any error as a Nova fault body. The only place errors become HTTP answers. */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const nova =
    (err instanceof NovaError ? err : undefined) ??
    bodyParserError(err) ??
    httpClientError(err) ??
    fromFailure(err) ??
    (isNotFound(err) ? new NovaError('itemNotFound', 'The resource could not be found.') : undefined);
  if (!nova) {
    requestLog(req).error({ err }, 'unexpected error');
  }
  const fault =
    nova ??
    new NovaError(
      'computeFault',
      'The server has either erred or is incapable of performing the requested operation.',
    );
  for (const [name, value] of Object.entries(fault.headers)) res.setHeader(name, value);
  res.status(fault.status).json({ [fault.fault]: { code: fault.status, message: fault.message } });
};

export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(new NovaError('itemNotFound', 'Unknown resource.'));
};
