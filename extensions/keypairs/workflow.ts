import { makeContinueAsNewFunc, setHandler } from '@temporalio/workflow';
import { conflict, notFound, toFailure } from '../../common/errors';
import { untilContinueAsNew } from '../../workflows/entity';
import { addKeypairUpdate, deleteKeypairUpdate, listKeypairsQuery, type KeypairRecord } from './messages';

export interface KeypairsInput {
  userId: string;
  keypairs?: KeypairRecord[];
  nextId?: number;
}

/**
 * keypairs/<user id>: one user's key pairs (Nova's key pairs belong to a user, not a project). Names
 * are unique per user: each add is an update decided in order, so two adds of one name never both win.
 */
export async function keypairsWorkflow(input: KeypairsInput): Promise<void> {
  const keypairs = new Map((input.keypairs ?? []).map((k) => [k.name, k]));
  let nextId = input.nextId ?? 1;
  setHandler(listKeypairsQuery, () => [...keypairs.values()]);
  setHandler(
    addKeypairUpdate,
    (fields) => {
      const record = { ...fields, id: nextId++ };
      keypairs.set(record.name, record);
      return record;
    },
    {
      validator: ({ name }) => {
        if (keypairs.has(name)) throw toFailure(conflict(`Key pair '${name}' already exists.`));
      },
    },
  );
  setHandler(
    deleteKeypairUpdate,
    ({ name }) => {
      keypairs.delete(name);
    },
    {
      validator: ({ name }) => {
        if (!keypairs.has(name))
          throw toFailure(notFound(`Keypair ${name} not found for user ${input.userId}`));
      },
    },
  );
  await untilContinueAsNew();
  await makeContinueAsNewFunc<typeof keypairsWorkflow>()({
    userId: input.userId,
    keypairs: [...keypairs.values()],
    nextId,
  });
}
