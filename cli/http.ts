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

  /** Reads a Server-Sent Events stream, calling `onEvent` for each event until the stream ends. */
  async stream(path: string, onEvent: (event: string, data: Body) => void): Promise<void> {
    const res = await this.send('GET', path, { headers: this.headers({ Accept: 'text/event-stream' }) });
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
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let at: number;
      while ((at = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        if (!block.trim() || block.startsWith(':')) continue;
        const lines = block.split('\n');
        const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
        const data = lines
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        onEvent(event, data ? JSON.parse(data) : null);
      }
    }
  }
}
