import { type DynamicModule, Inject, Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { MessagingModule, topologyFromConfig } from '@framewire/messaging';
import {
  builtinDefinitionsDir,
  createPluginRegistry,
  PipelineRegistry,
  PipelineRunner,
  splitDirList,
  type PaddleOcrPluginOptions,
} from '@framewire/pipelines';
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
    // What this replica's results come from: each pipeline's version and the sha256 of every model it loaded.
    const pipelines = this.runner.pipelineIds().map((id) => this.runner.versionInfo(id));
    this.logger.info({ ms: Math.round(performance.now() - t0), pipelines }, 'models loaded');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.close();
  }
}

/** One set of plugins and pipelines per replica; the ONNX sessions are created once, by ModelLifecycle. */
function createRunner(config: InferenceConfig): PipelineRunner {
  const paddleocr: PaddleOcrPluginOptions = {};
  if (config.modelDir) paddleocr.modelDir = config.modelDir;
  if (config.onnxThreads > 0) paddleocr.sessionOptions = { intraOpNumThreads: config.onnxThreads };
  const plugins = createPluginRegistry({ builtin: { paddleocr }, pluginDirs: splitDirList(config.pluginDirs) });
  const pipelines = PipelineRegistry.fromDirectories(plugins, [builtinDefinitionsDir(), ...splitDirList(config.pipelineDirs)]);
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
