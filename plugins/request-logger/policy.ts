/** When a request gets a log file (modules.md §3, CLIProxyAPI's `hasActionableError`). */

/** The error the client got, as far as the decision needs it. */
export interface ErrorLike {
  readonly status: number;
}

/**
 * With `request-log` off, a forced error log is written for an error (other than a client cancel, 499) or a status
 * ≥ 400 except 499; a cancelled request below 400 gets none.
 */
export function isForcedError(status: number, error: ErrorLike | null, cancelled: boolean): boolean {
  if (error !== null && error.status !== 499) return true;
  if (status === 499) return false;
  if (cancelled && status < 400) return false;
  return status >= 400;
}
