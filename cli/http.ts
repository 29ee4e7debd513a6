import { createParser } from 'eventsource-parser';

/** Exit codes a script can rely on. */
export const EXIT = {
  OK: 0,
  /** The command worked, but servers ended in ERROR. */
  SERVERS_FAILED: 1,
  /** Bad command line. */
  USAGE: 2,
  /** The API answered with an error (4xx/5xx). */
  API_ERROR: 3,
  /** The API could not be reached. */
  UNREACHABLE: 4,
} as const;

/** API bodies as the CLI reads them: loosely, since it mostly prints what the server sent. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Body = any;

/** An error that ends the CLI with a given exit code and message. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The Nova fault message of an error body, or the raw text. */
function faultMessage(status: number, body: unknown): string {
  if (body && typeof body === 'object') {
    const [name] = Object.keys(body);
    const fault = (body as Record<string, { message?: string }>)[name];
    if (fault?.message) return `${name} (HTTP ${status}): ${fault.message}`;
  }
  return `HTTP ${status}: ${typeof body === 'string' ? body : JSON.stringify(body)}`;
}

/** A thin client of the novaflow HTTP API: one token, one base URL, Nova fault bodies as errors. */
export class ApiClient {
  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { 'X-Auth-Token': this.token, 'OpenStack-API-Version': 'compute 2.53', ...extra };
  }

  private async send(method: string, path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(this.url.replace(/\/$/, '') + path, { method, ...init });
    } catch (err) {
      const inner = (err as { cause?: { code?: string; message?: string } }).cause;
      const cause = inner?.code ?? inner?.message ?? (err as Error).message;
      throw new CliError(`cannot reach the API at ${this.url}: ${cause}`, EXIT.UNREACHABLE);
    }
  }

  /** Sends one request and returns the parsed body; any status >= 400 becomes a CliError. */
  async call<T = Body>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, {
      headers: this.headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    if (res.status >= 400) throw new CliError(faultMessage(res.status, parsed), EXIT.API_ERROR, res.status);
    return parsed as T;
  }

  /**
   * Follows a Server-Sent Events stream until its `end` event, calling `onEvent` for each event. A
   * stream that drops before its end is reconnected (after the server's `retry` delay, sending
   * `Last-Event-ID`), so a flaky network never passes for a finished stream; after
   * `STREAM_MAX_FAILURES` reconnects in a row without an event it gives up with UNREACHABLE.
   */
  async stream(path: string, onEvent: (event: string, data: Body) => void): Promise<void> {
    let lastEventId: string | undefined;
    let retryMs = 1000;
    for (let failures = 0; ; failures++) {
      if (failures > 0) await new Promise((r) => setTimeout(r, Math.min(retryMs * failures, 5000)));
      let ended = false;
      let heard = false;
      try {
        const res = await this.send('GET', path, {
          headers: this.headers({
            Accept: 'text/event-stream',
            ...(lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId }),
          }),
        });
        if (res.status >= 400) {
          const text = await res.text();
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* keep text */
          }
          throw new CliError(faultMessage(res.status, parsed), EXIT.API_ERROR, res.status);
        }
        const parser = createParser({
          onEvent: (message) => {
            heard = true;
            if (message.id !== undefined) lastEventId = message.id;
            const event = message.event ?? 'message';
            if (event === 'end') ended = true;
            onEvent(event, message.data ? JSON.parse(message.data) : null);
          },
          onRetry: (ms) => (retryMs = ms),
        });
        const decoder = new TextDecoder();
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          parser.feed(decoder.decode(chunk, { stream: true }));
          if (ended) return;
        }
      } catch (err) {
        // Our own verdicts stand; a cut connection is what reconnecting is for.
        if (err instanceof CliError && err.code !== EXIT.UNREACHABLE) throw err;
        if (!(err instanceof CliError) && !isNetworkError(err)) throw err;
      }
      if (heard) failures = 0;
      if (failures + 1 >= STREAM_MAX_FAILURES) {
        throw new CliError(`the event stream of ${path} was lost before it ended`, EXIT.UNREACHABLE);
      }
    }
  }
}

/** Reconnects in a row, without any event between them, before a stream is given up. */
const STREAM_MAX_FAILURES = 6;

/** Whether an error is the connection failing (reset, closed mid-body), not a bug of ours. */
function isNetworkError(err: unknown): boolean {
  const e = err as { name?: string; code?: string; cause?: { code?: string } };
  return e?.name === 'TypeError' || e?.name === 'AbortError' || Boolean(e?.code ?? e?.cause?.code);
}
