/**
 * The one error type that crosses the API boundary: a stable code and a message a person can
 * act on. Anything else thrown inside the core is reported as INTERNAL.
 */
export class AppError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
  }
}

export type ErrorCode =
  | 'BAD_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'NOT_INITIALIZED'
  | 'ALREADY_INITIALIZED'
  | 'KEYSTORE_LOCKED'
  | 'KEYSTORE_CORRUPT'
  | 'BUDGET_EXCEEDED'
  | 'APPROVAL_REQUIRED'
  | 'INVOICE_INVALID'
  | 'ALREADY_PAID'
  | 'INSUFFICIENT_FUNDS'
  | 'PAYMENT_FAILED'
  | 'AGENT_BUSY'
  | 'AGENT_NOT_RUNNABLE'
  | 'BACKEND_ERROR'
  | 'NETWORK_UNREACHABLE'
  | 'UNAUTHORIZED'
  | 'DAEMON_UNAVAILABLE'
  | 'TIMEOUT'
  | 'PREFLIGHT_FAILED'
  | 'INTERNAL';

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AppError('INTERNAL', message);
}
