import { temporal } from '@temporalio/proto';

/**
 * History <-> proto JSON (the format the Temporal CLI and Web UI download). Temporal's own
 * `historyToJSON`/`historyFromJSON` fail in this install ("type must be a Type") because
 * @temporalio/common pins a protobufjs whose converter rejects types built by @temporalio/proto's
 * copy; so the same converter is handed types it built itself from the same descriptor.
 */
type History = temporal.api.history.v1.IHistory;
/* eslint-disable @typescript-eslint/no-require-imports */
const protobuf = require('@temporalio/common/node_modules/protobufjs');
const protojson = require('@temporalio/common/node_modules/protobufjs/ext/protojson');
const temporalRoot = require('@temporalio/proto/protos/json-module.js');
/* eslint-enable @typescript-eslint/no-require-imports */

const historyType = protobuf.Root.fromJSON(temporalRoot.toJSON()).lookupType(
  'temporal.api.history.v1.History',
);

/** A fetched history as pretty proto JSON. */
export function historyToJson(history: History): string {
  return JSON.stringify(protojson.toJson(historyType, historyType.fromObject(history)), null, 2);
}

/** A proto-JSON history back into the shape the replayer takes. */
export function historyFromJson(json: unknown): History {
  const message = protojson.fromJson(historyType, json, { ignoreUnknownFields: true });
  if (!message) throw new TypeError('not a history');
  // An instance of @temporalio/proto's own class: the replayer takes that as is.
  return temporal.api.history.v1.History.fromObject(historyType.toObject(message, { longs: String }));
}
