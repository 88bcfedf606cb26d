import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { AdmissionService } from '../admission/admission.service';
import type { IntakeConfig } from '../config';
import { INTAKE_CONFIG } from '../tokens';
import { receiveUpload, refuseUnread, type ReceivedUpload } from './multipart';

/**
 * The HTTP edge of a submit: admission first (a refused client does not get
 * to send its whole video), then the multipart body streamed to a temp file
 * within the configured limits. The caller owns the result and discards it.
 */
@Injectable()
export class UploadReceiver {
  constructor(
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
    private readonly admission: AdmissionService,
  ) {}

  async receive(req: IncomingMessage): Promise<ReceivedUpload> {
    const refusal = this.admission.refusal();
    if (refusal) {
      await refuseUnread(req);
      throw refusal;
    }
    return receiveUpload(req, this.config.uploadTmpDir, {
      maxFileBytes: this.config.maxUploadBytes,
      maxFields: 16,
      maxFieldBytes: 4096,
      headBytes: 4096,
    });
  }
}
