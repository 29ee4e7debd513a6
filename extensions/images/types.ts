/** An image of novaflow's catalog, in Glance v2's terms. */
export interface ImageRecord {
  id: string;
  name: string;
  /** `queued` until its data is uploaded, then `active`; `deactivated` by an admin. */
  status: 'queued' | 'active' | 'deactivated';
  visibility: 'public' | 'private' | 'shared' | 'community';
  /** Smallest disk (GB) and RAM (MB) a flavor must have to boot it. */
  min_disk: number;
  min_ram: number;
  disk_format: string | null;
  container_format: string | null;
  size: number | null;
  /** MD5 and SHA-512 of the uploaded data (null until then, and for shipped images). */
  checksum?: string | null;
  os_hash_value?: string | null;
  owner: string | null;
  protected: boolean;
  created_at: string;
  updated_at: string;
  /** Free-form properties (`os_distro`, `hw_*`, ...), shown as top-level keys as Glance does. */
  properties: Record<string, string>;
}

/** What an admin sends to register or change an image. */
export type ImageFields = Partial<Omit<ImageRecord, 'id' | 'created_at' | 'updated_at'>> & { id?: string };
