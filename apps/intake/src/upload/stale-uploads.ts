import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { describeError } from '@framewire/contracts';
import { LOGGER, type Logger } from '@framewire/runtime';
import { removeStaleTemp } from '@framewire/storage';
import type { IntakeConfig } from '../config';
import { INTAKE_CONFIG } from '../tokens';
import { UPLOAD_TEMP_PREFIX } from './multipart';

/**
 * Uploads older than this are leftovers of a crash: an HTTP upload ends within
 * Node's 5-minute request timeout, and a gRPC one of the 2 GiB limit at
 * 100 KB/s within 6 hours.
 */
export const STALE_UPLOAD_AGE_MS = 6 * 60 * 60 * 1000;

/**
 * At start, removes the temp files of uploads that a crashed intake left in
 * FW_UPLOAD_TMP_DIR (a live upload of another replica sharing the directory is
 * younger than STALE_UPLOAD_AGE_MS and stays). A failure is logged and does not
 * stop the app: the files wait for the next start.
 */
@Injectable()
export class StaleUploadsCleaner implements OnApplicationBootstrap {
  constructor(
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const dir = this.config.uploadTmpDir;
    try {
      const removed = await removeStaleTemp(dir, { olderThanMs: STALE_UPLOAD_AGE_MS, namePrefix: UPLOAD_TEMP_PREFIX });
      if (removed.length > 0) this.logger.info({ dir, removed: removed.length }, 'removed uploads left by a crash');
    } catch (err) {
      this.logger.warn({ dir, err: describeError(err) }, 'could not clear stale uploads; they wait for the next start');
    }
  }
}
