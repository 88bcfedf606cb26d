/**
 * Node errno and undici codes that mean "the peer could not be reached or the
 * connection broke": the dependency is down or restarting, not the request
 * wrong. The database and object-store adapters both classify with it.
 */
export const NETWORK_ERROR_CODES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
] as const;
const NETWORK: ReadonlySet<string> = new Set(NETWORK_ERROR_CODES);

export function isNetworkErrorCode(code: unknown): boolean {
  return typeof code === 'string' && NETWORK.has(code);
}
