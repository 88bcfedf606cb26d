import { type DynamicModule, Inject, Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { MessagingModule, topologyFromConfig } from '@framewire/messaging';
import { builtinDefinitionsDir, builtinPlugins, PipelineRegistry, PipelineRunner, PluginRegistry } from '@framewire/pipelines';
import { LOGGER, RuntimeModule, type Logger } from '@framewire/runtime';
import { StorageModule } from '@framewire/storage';
import type { InferenceConfig } from './config';
import { InferService } from './infer.service';

/** Loads every pipeline's models once per replica, before the consumer starts pulling. */
@Injectable()
class ModelLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly runner: PipelineRunner,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const t0 = performance.now();
    await this.runner.init();
    this.logger.info({ ms: Math.round(performance.now() - t0) }, 'models loaded');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.close();
  }
}

function createRunner(config: InferenceConfig): PipelineRunner {
  const plugins = new PluginRegistry(
    builtinPlugins({
      paddleocr: {
        ...(config.modelDir ? { modelDir: config.modelDir } : {}),
        ...(config.onnxThreads > 0 ? { session: { intraOpNumThreads: config.onnxThreads } } : {}),
      },
    }),
  );
  const dirs = [
    builtinDefinitionsDir(),
    ...(config.pipelineDirs ?? '')
      .split(',')
      .map((d) => d.trim())
      .filter(Boolean),
  ];
  const pipelines = PipelineRegistry.fromDirectories(plugins, dirs);
  return new PipelineRunner(pipelines, plugins);
}

@Module({})
export class InferenceModule {
  static forConfig(config: InferenceConfig, logger: Logger, workerId: string): DynamicModule {
    return {
      module: InferenceModule,
      imports: [
        RuntimeModule.forRoot({ logger, workerId, config }),
        StorageModule.forRoot(config.storage),
        MessagingModule.forRoot({
          stage: 'inference',
          workerId,
          servers: config.natsUrl,
          logger,
          consumes: ['infer'],
          concurrency: { infer: config.concurrency },
          topology: topologyFromConfig(config),
          shutdownTimeoutMs: config.shutdownTimeoutMs,
        }),
      ],
      providers: [{ provide: PipelineRunner, useFactory: () => createRunner(config) }, ModelLifecycle, InferService],
    };
  }
}
