import { atLeast } from '../../api/context';
import type { ViewDecorator } from '../types';

/** 2.98: a server's `image` shows the properties its image had when the server was built (or rebuilt). */
export const imagePropertiesView: ViewDecorator = (req, server, view) => {
  if (!atLeast(req, 98) || !view.image || typeof view.image !== 'object') return;
  const properties = (server.shown?.images?.properties as Record<string, unknown> | undefined) ?? {};
  view.image = { ...(view.image as Record<string, unknown>), properties };
};
