/** The example's alias and create field; shared by its API part and its workflow interceptor. */
export const BOOT_STAMP_ALIAS = 'x-boot-stamp';
export const BOOT_STAMP_FIELD = 'x-boot-stamp:note';
/** Memo key the interceptor writes on the server workflow and the route reads back. */
export const BOOT_STAMP_MEMO = 'bootStamp';

/** What the compute node recorded right after the instance booted. */
export interface BootStamp {
  host: string;
  note: string;
  running: boolean;
  stampedAt: string;
}
