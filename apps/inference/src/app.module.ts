import { type DynamicModule, Inject, Injectable, type OnApplicationShutdown, type OnModuleInit, Optional } from '@nestjs/common';
import { WorkerAppModule } from '@framewire/messaging';
import { createPipelineRuntime, type PipelineRunner } from '@framewire/pipelines';
import { Health } from '@framewire/observability';
import { APP_CONFIG, LOGGER, type Logger } from '@framewire/runtime';
import type { InferenceConfig } from './config';
import { InferService } from './infer.service';
import { PIPELINE_RUNNER } from './tokens';

/** Loads every pipeline's models once per replica, before the consumer starts pulling. */
@Injectable()
class ModelLifecycle implements OnModuleInit, OnApplicationShutdown {
  private loaded = false;

  constructor(
    @Inject(PIPELINE_RUNNER) private readonly runner: PipelineRunner,
    @Inject(APP_CONFIG) private readonly config: InferenceConfig,
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
    const { concurrency, replicaCores, onnxThreads } = this.config;
    this.logger.info(
      { ms: Math.round(performance.now() - t0), concurrency, cores: replicaCores, onnx_threads: onnxThreads || 'default', pipelines },
      'models loaded',
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.loaded = false;
    await this.runner.close();
  }
}

/** Inference: the shared stage wiring (object store included), the pipeline runtime, and the `infer` handler. */
export function inferenceModule(config: InferenceConfig, logger: Logger, workerId: string): DynamicModule {
  return WorkerAppModule.forStage('inference', {
    config,
    logger,
    workerId,
    providers: [
      // One runtime per replica: FW_INFER_CONCURRENCY frames at once (by default one per core of this replica, on a
      // pool of worker threads above 1, each session on cores / frames intra-op threads); the ONNX sessions are
      // created once, by ModelLifecycle.
      {
        provide: PIPELINE_RUNNER,
        useFactory: () => createPipelineRuntime({ ...config, workers: config.concurrency, cores: config.replicaCores }).runner,
      },
      ModelLifecycle,
      InferService,
    ],
  });
}
