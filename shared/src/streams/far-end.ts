import type { AcceptHeader } from '../tunnel/stream-headers.js';
import type { BytePipe } from '../byte-pipe.js';

/** The far end of a stream once connected: its pipe, the ACCEPT to answer with, and bytes it sent already. */
export interface FarEnd {
  pipe: BytePipe;
  accept: AcceptHeader;
  /** Bytes the far end sent before the splice (an upstream's first bytes after its 101): deliver them first. */
  early?: Uint8Array;
}
