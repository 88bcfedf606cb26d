import 'reflect-metadata';
import type { DynamicModule } from '@nestjs/common';
import pino from 'pino';
import { ObservabilityModule } from '@framewire/observability';
import { RuntimeModule } from '@framewire/runtime';
import { StorageModule } from '@framewire/storage';
import { MessagingModule } from './messaging.module';
import { WorkerAppModule, type StageAppConfig } from './worker-app.module';

const config: StageAppConfig = {
  natsUrl: 'nats://127.0.0.1:4222',
  nats: {},
  shutdownTimeoutMs: 1000,
  ackWaitMs: 30_000,
  maxDeliver: 4,
  retryBaseMs: 1000,
  outageToleranceMs: 60_000,
  outageRetryMaxMs: 30_000,
  dlqMaxBytes: 1024,
  opsPort: 9101,
};
const logger = pino({ level: 'silent' });
const modulesOf = (m: DynamicModule) => (m.imports ?? []).map((i) => (i as DynamicModule).module);

describe('WorkerAppModule.forStage', () => {
  it("wires runtime, observability, the app's own imports, then messaging, and the app's providers", () => {
    class OwnModule {}
    class OwnService {}
    const m = WorkerAppModule.forStage('persister', {
      config,
      logger,
      workerId: 'persister-1',
      imports: [{ module: OwnModule }],
      providers: [OwnService],
    });
    expect(modulesOf(m)).toEqual([RuntimeModule, ObservabilityModule, OwnModule, MessagingModule]);
    expect(m.providers).toEqual([OwnService]);
  });

  it('adds the object store when the config has one', () => {
    const m = WorkerAppModule.forStage('extractor', {
      config: { ...config, storage: { driver: 'fs', root: '/tmp/x' } },
      logger,
      workerId: 'x',
    });
    expect(modulesOf(m)).toEqual([RuntimeModule, ObservabilityModule, StorageModule, MessagingModule]);
  });
});
