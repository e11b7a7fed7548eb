import { TetherError } from '@tether/shared';

/** The outbox is at its byte or age limit and the overflow policy is `refuse` (HTTP 507). */
export class OutboxFullError extends TetherError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('outbox_full', message, options);
  }
}

/** A request is larger than the outbox could ever hold, or than one request may be (HTTP 413). */
export class ReportTooLargeError extends TetherError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('too_large', message, options);
  }
}
