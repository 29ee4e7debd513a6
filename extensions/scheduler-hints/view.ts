import { atLeast } from '../../api/context';
import type { ViewDecorator } from '../types';
import { pickHints } from './hints';

/**
 * What a server's view shows of its hints: the groups it belongs to (2.71; the core leaves them out
 * of lists) and, from 2.100, the scheduler hints its create gave.
 */
export const hintsView: ViewDecorator = (req, server, view) => {
  const hints = pickHints(server.extra ?? {});
  if (atLeast(req, 71)) view.server_groups = hints?.group ? [hints.group] : [];
  // Nova keeps every hint as a list (its request spec), and shows them so.
  if (atLeast(req, 100))
    view.scheduler_hints = Object.fromEntries(
      Object.entries(hints ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]),
    );
};
