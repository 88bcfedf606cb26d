import { availableParallelism } from 'node:os';
import { type DynamicModule, Inject, Injectable, Module, type OnApplicationShutdown, type OnModuleInit, Optional } from '@nestjs/common';
import { MessagingModule, topologyFromConfig } from '@framewire/messaging';
import {
  builtinDefinitionsDir,
  createPluginRegistry,
  PipelineRegistry,
  PipelineRunner,
  PipelineRunnerPool,
  splitDirList,
  type PaddleOcrPluginOptions,
} from '@framewire/pipelines';
import { Health, ObservabilityModule } from '@framewire/observability';
import { LOGGER, RuntimeModule, type Logger } from '@framewire/runtime';
import { StorageModule } from '@framewire/storage';
import type { InferenceConfig } from './config';
import { InferService } from './infer.service';

/** Loads every pipeline's models once per replica, before the consumer starts pulling. */
@Injectable()
class ModelLifecycle implements OnModuleInit, OnApplicationShutdown {
  private loaded = false;

  constructor(
    private readonly runner: PipelineRunner,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() private readonly health?: Health,
  ) {}

  async onModuleInit(): Promise<void> {
    this.health?.register('models', () => {
      if (!this.loaded) throw new Error('models are not loaded');
    });
    const t0 = performance.now();
    await this.runner.init();
    this.loaded = true;
    // What this replica's results come from: each pipeline's version and the sha256 of every model it loaded.
    const pipelines = this.runner.pipelineIds().map((id) => this.runner.versionInfo(id));
    this.logger.info({ ms: Math.round(performance.now() - t0), pipelines }, 'models loaded');
  }

  async onApplicationShutdown(): Promise<void> {
    this.loaded = false;
    await this.runner.close();
  }
}

/** One set of plugins and pipelines per replica; the ONNX sessions are created once, by ModelLifecycle. */
function createRunner(config: InferenceConfig): PipelineRunner {
  const paddleocr: PaddleOcrPluginOptions = {};
  if (config.modelDir) paddleocr.modelDir = config.modelDir;
  if (config.onnxThreads > 0) paddleocr.sessionOptions = { intraOpNumThreads: config.onnxThreads };
  if (config.concurrency > 1) {
    // Frames at once need sessions on threads of their own (a session runs on the thread that calls it): one worker
    // thread per frame, each session on cores / workers intra-op threads unless FW_ONNX_THREADS says otherwise.
    const intraOpNumThreads =
      config.onnxThreads > 0 ? config.onnxThreads : Math.max(1, Math.floor(availableParallelism() / config.concurrency));
    return new PipelineRunnerPool({
      workers: config.concurrency,
      paddleocr: { ...(config.modelDir ? { modelDir: config.modelDir } : {}), sessionOptions: { intraOpNumThreads } },
      pluginDirs: splitDirList(config.pluginDirs),
      pipelineDirs: splitDirList(config.pipelineDirs),
    });
  }
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
        ObservabilityModule.forRoot({ stage: 'inference', logger, opsPort: config.opsPort }),
        StorageModule.forRoot(config.storage),
        MessagingModule.forRoot({
          stage: 'inference',
          workerId,
          servers: config.natsUrl,
          auth: config.nats,
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
