import type { ApiClient } from './http';

/** Parsed option values shared by every command. */
export interface Options {
  url?: string;
  token?: string;
  'os-cloud'?: string;
  json?: boolean;
  help?: boolean;
  flavor?: string;
  image?: string;
  network?: string[];
  min?: string;
  max?: string;
  hint?: string[];
  wait?: boolean;
  hard?: boolean;
  status?: string;
  reservation?: string;
  'all-tenants'?: boolean;
}

/** What a command gets: the API client, its options and where to write. */
export interface CommandContext {
  api: ApiClient;
  opts: Options;
  /** Writes one line (or block) to stdout. */
  out: (text: string) => void;
  /** Writes a result: as JSON under `--json`, else as the human text `human` renders. */
  emit: (data: unknown, human: () => string) => void;
  /** Whether stdout is a terminal: live progress bar, or plain lines. */
  tty: boolean;
  /** Rewrites the current terminal line (progress bar). */
  redraw: (text: string) => void;
}

/** A command returns its exit code. */
export type Command = (ctx: CommandContext, args: string[]) => Promise<number>;
