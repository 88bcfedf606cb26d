import { Inject, Injectable } from '@nestjs/common';
import { ApiKeyVerifier, DomainError, presentedApiKey } from '@framewire/contracts';
import { LOGGER, type Logger } from '@framewire/runtime';
import type { IntakeConfig } from '../config';
import { INTAKE_CONFIG } from '../tokens';

/** One message for a missing and a wrong key: the answer says nothing about which keys exist. */
export const UNAUTHENTICATED_MESSAGE = 'a valid API key is required (Authorization: Bearer <key>)';

/**
 * API keys for both edges (HTTP guard, gRPC handlers). Off when FW_API_KEYS is
 * empty; on, every JobService call and every /v1 route needs a configured key,
 * while health, readiness, metrics and the OpenAPI document stay open.
 */
@Injectable()
export class ApiKeyAuth {
  private readonly verifier: ApiKeyVerifier;

  constructor(
    @Inject(INTAKE_CONFIG) config: IntakeConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.verifier = new ApiKeyVerifier(config.apiKeys);
  }

  get enabled(): boolean {
    return this.verifier.enabled;
  }

  /** The key's label, or null when keys are off; throws UNAUTHENTICATED for a missing or wrong key. */
  authenticate(authorization: string | undefined, xApiKey: string | undefined, where: string): string | null {
    if (!this.verifier.enabled) return null;
    const label = this.verifier.verify(presentedApiKey(authorization, xApiKey));
    if (label === null) {
      this.logger.info({ where, presented: authorization !== undefined || xApiKey !== undefined }, 'request refused: no valid API key');
      throw new DomainError('UNAUTHENTICATED', UNAUTHENTICATED_MESSAGE);
    }
    return label;
  }
}
