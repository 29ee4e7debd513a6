import { EventEmitter } from 'node:events';
import net from 'node:net';
import readline from 'node:readline';

/** An asynchronous event QEMU sent (SHUTDOWN, RESET, POWERDOWN, ...). */
export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

export class QmpError extends Error {
  override name = 'QmpError';
}

/**
 * A client of one QEMU's QMP socket: JSON lines, each command answered by id, events emitted as
 * 'event'. 'close' says the socket closed, which is how a QEMU that died shows.
 */
export class QmpClient extends EventEmitter<{ event: [QmpEvent]; close: [] }> {
  private seq = 0;
  private readonly pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    super();
  }

  /** Connects, reads the greeting and leaves capabilities negotiation mode. */
  static async connect(socketPath: string, timeoutMs = 5000): Promise<QmpClient> {
    const socket = net.connect(socketPath);
    const client = new QmpClient(socket);
    const lines = readline.createInterface({ input: socket });
    // A QEMU that dies resets the socket: that is its 'close', not an error to crash on.
    lines.on('error', () => undefined);
    socket.on('error', () => undefined);
    const greeting = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new QmpError(`no QMP greeting on ${socketPath}`)), timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      lines.once('line', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    try {
      await greeting;
    } catch (err) {
      socket.destroy();
      throw err;
    }
    lines.on('line', (line) => client.receive(line));
    socket.on('close', () => client.onClose());
    await client.execute('qmp_capabilities');
    return client;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs one command; rejects with QEMU's error, or when the socket closes first. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closed) return Promise.reject(new QmpError(`QMP socket closed; ${command} not sent`));
    const id = `nf-${++this.seq}`;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.socket.write(
        `${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`,
      );
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(line: string): void {
    let msg: { id?: string; return?: unknown; error?: { class: string; desc: string }; event?: string };
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (msg.event) {
      this.emit('event', msg as QmpEvent);
      return;
    }
    const waiter = msg.id ? this.pending.get(msg.id) : undefined;
    if (!waiter) return;
    this.pending.delete(msg.id!);
    if (msg.error) waiter.reject(new QmpError(`${msg.error.class}: ${msg.error.desc}`));
    else waiter.resolve(msg.return);
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.pending.values()) w.reject(new QmpError('QMP socket closed'));
    this.pending.clear();
    this.emit('close');
  }
}
