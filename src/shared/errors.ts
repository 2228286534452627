/**
 * Errors that cross process and API boundaries carry a stable code and a message that names the
 * problem (the file, node, class or value at fault) and, where it helps, what to do about it.
 */
export const ERROR_CODES = [
  'BAD_INPUT', // arguments or options that make no sense
  'BAD_MODEL', // a model file that is corrupt, malformed or not a classifier
  'UNSUPPORTED_MODEL', // a format or operator the importers do not handle (pickles included)
  'BAD_DATA', // a clean-data set that is missing, empty, mislabeled or mis-shaped
  'SHAPE_MISMATCH', // data or tensors whose shape does not fit the model
  'NUMERIC', // NaN or infinite weights or losses
  'BACKEND', // no usable compute backend
  'INTEGRITY', // a hash, signature or chain that does not match
  'NOT_FOUND',
  'CANCELLED',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class UmaError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'UmaError';
  }
}

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** Any thrown value as a serialisable {code, message}; unknown errors become INTERNAL. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof UmaError) return { code: err.code, message: err.message, details: err.details };
  if (err instanceof Error) return { code: 'INTERNAL', message: err.message };
  return { code: 'INTERNAL', message: String(err) };
}
