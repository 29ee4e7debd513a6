import { launchMain } from './launch';

/**
 * `npm start`: the whole stack on one machine — the Temporal dev server on a SQLite file under .data/
 * (unless TEMPORAL_ADDRESS names a server to use), Keystone, the admission worker, the control
 * worker, two compute nodes and the API.
 */
launchMain();
