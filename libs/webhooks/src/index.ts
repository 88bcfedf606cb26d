/**
 * @framewire/webhooks — what intake (callback_url checks at submit) and the
 * status service (delivery) share: address rules, target resolution pinned to
 * one address, the POST itself, and the Framewire-Signature scheme.
 */
export { blockedAddressReason, embeddedIpv4 } from './address';
export { signatureHeader, verifySignature } from './signature';
export { resolveWebhookTarget, type Resolver, type WebhookTarget } from './target';
export { postWebhook, type WebhookResponse } from './post';
export { MIN_SECRET_LENGTH, parseDurationMs, WEBHOOK_ALLOW_PRIVATE_CONFIG, WEBHOOK_DELIVERY_CONFIG } from './config';
