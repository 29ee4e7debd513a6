import type { Client } from '@temporalio/client';
import type { PrepareStepInput, PrepareStepResult } from '../../entities/reservation/stages';
import { findImage } from './client';

/**
 * The image build step: hands the driver what the catalog says about the server's image (name,
 * formats, properties such as `os_distro`), so it boots what the image describes.
 */
export function imageActivities({ client }: { client: Client }) {
  return {
    async imagesPrepare({ server }: PrepareStepInput): Promise<PrepareStepResult> {
      const image = server.imageRef ? await findImage(client, server.imageRef) : undefined;
      if (!image) return {};
      return {
        guest: {
          id: image.id,
          name: image.name,
          disk_format: image.disk_format,
          min_disk: image.min_disk,
          min_ram: image.min_ram,
          properties: image.properties,
        },
      };
    },
  };
}
