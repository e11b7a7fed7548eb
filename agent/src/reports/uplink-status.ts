/** What the agent shows of its report uplink (`GET /v1/status` `uplink`, metrics, digests). */
export interface UplinkStatus {
  /** The measured delivery rate of report bytes on the wire (after compression), bytes/s; null until measured. */
  rateBytesPerSecond: number | null;
  /** The measured round trip of a batch beyond its transmission time, ms; null until measured. */
  rttMs: number | null;
  /** `--uplink-max-rate`, bytes/s; null when uncapped. */
  maxRateBytesPerSecond: number | null;
  /** Report bytes and batches sent and not yet acknowledged. */
  inFlightBytes: number;
  inFlightBatches: number;
  /** Report bytes published since the start (first sends), and sent again (overdue acks, reconnects, gaps). */
  bytesSent: number;
  bytesResent: number;
  /** The outbox's reports as the bytes they would take on the wire (estimated from recent batches). */
  backlogBytes: number;
  /** Estimated time to send the backlog at the measured rate, ms; null until a rate is measured. */
  drainEstimateMs: number | null;
  /** The codec batches use on this connection (`br` once the hub offered protocol 2), or null. */
  compression: 'br' | null;
}
