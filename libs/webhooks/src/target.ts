import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { callbackUrlProblem, describeError, DomainError } from '@framewire/contracts';
import { blockedAddressReason } from './address';

/** Where one webhook POST goes: the URL, and the one address it connects to (resolved once: DNS rebinding cannot redirect it). */
export interface WebhookTarget {
  url: URL;
  address: string;
  family: 4 | 6;
}

export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * Resolve a callback_url and pick the address to connect to: the first one
 * that is public, or any when `allowPrivate` (FW_WEBHOOK_ALLOW_PRIVATE=1). A
 * URL that is malformed, does not resolve, or names (or resolves only to)
 * private, loopback or link-local addresses is DomainError('CALLBACK_URL_REFUSED').
 */
export async function resolveWebhookTarget(raw: string, opts: { allowPrivate: boolean; resolve?: Resolver }): Promise<WebhookTarget> {
  const problem = callbackUrlProblem(raw);
  if (problem) throw refused(problem);
  const url = new URL(raw);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let addresses: Array<{ address: string; family: number }>;
  if (isIP(host) !== 0) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await (opts.resolve ?? systemResolver)(host);
    } catch (err) {
      throw refused(`callback_url host ${host} does not resolve: ${describeError(err)}`);
    }
  }
  if (addresses.length === 0) throw refused(`callback_url host ${host} does not resolve`);
  const pick = opts.allowPrivate ? addresses[0] : addresses.find((a) => blockedAddressReason(a.address) === null);
  if (!pick) {
    const why = blockedAddressReason(addresses[0].address);
    const named =
      isIP(host) !== 0
        ? `callback_url names a ${why} address`
        : `callback_url host ${host} resolves only to non-public addresses (${addresses[0].address}: ${why})`;
    throw refused(`${named}; webhooks go to public addresses only (FW_WEBHOOK_ALLOW_PRIVATE=1 allows private ones)`);
  }
  return { url, address: pick.address, family: pick.family === 6 ? 6 : 4 };
}

function refused(message: string): DomainError {
  return new DomainError('CALLBACK_URL_REFUSED', message);
}
