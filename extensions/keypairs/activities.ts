import type { Client } from '@temporalio/client';
import type { PrepareStepInput, PrepareStepResult } from '../../entities/reservation/stages';
import { findKeypair } from './client';

/**
 * The key pair build step: hands the guest the public key its create named (the owner's pair of that
 * name), as a config drive's `public_keys` would. A pair deleted since the create is not handed on.
 */
export function keypairActivities({ client }: { client: Client }) {
  return {
    async keypairsPrepare({ server }: PrepareStepInput): Promise<PrepareStepResult> {
      if (!server.keyName) return {};
      const k = await findKeypair(client, server.userId, server.keyName);
      if (!k) return {};
      return { guest: { name: k.name, type: k.type, public_key: k.public_key, fingerprint: k.fingerprint } };
    },
  };
}
