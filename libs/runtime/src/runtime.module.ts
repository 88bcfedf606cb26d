import { type DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';

/** Injection tokens every app shares. */
export const LOGGER = Symbol('LOGGER');
export const WORKER_ID = Symbol('WORKER_ID');
export const APP_CONFIG = Symbol('APP_CONFIG');

/** Makes the app's logger, worker id and validated config injectable everywhere. */
@Module({})
export class RuntimeModule {
  static forRoot(opts: { logger: Logger; workerId: string; config: unknown }): DynamicModule {
    return {
      module: RuntimeModule,
      global: true,
      providers: [
        { provide: LOGGER, useValue: opts.logger },
        { provide: WORKER_ID, useValue: opts.workerId },
        { provide: APP_CONFIG, useValue: opts.config },
      ],
      exports: [LOGGER, WORKER_ID, APP_CONFIG],
    };
  }
}
