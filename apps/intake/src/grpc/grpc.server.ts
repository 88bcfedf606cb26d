import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { loadFileDescriptorSetFromBuffer, loadSync } from '@grpc/proto-loader';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { FILE_DESCRIPTOR_SET_BASE64, JOB_SERVICE_NAME, JobServiceService } from '@framewire/grpc';
import { LOGGER, type Logger } from '@framewire/runtime';
import type { IntakeConfig } from '../config';
import { INTAKE_CONFIG } from '../tokens';
import { JobsGrpcHandlers } from './jobs.grpc';

/** Largest message the server accepts: an upload chunk is at most 1 MiB, with room for framing. */
const MAX_RECEIVE_BYTES = 4 * 1024 * 1024;

/**
 * The gRPC server of intake (FW_GRPC_HOST:FW_GRPC_PORT): JobService,
 * grpc.health.v1.Health ("" and "framewire.v1.JobService" answer SERVING
 * while the app runs) and server reflection (v1 and v1alpha), bound before the
 * app reports itself started, drained on shutdown.
 */
@Injectable()
export class GrpcServerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private server: Server | null = null;
  private readonly health = new HealthImplementation({ '': 'NOT_SERVING', [JOB_SERVICE_NAME]: 'NOT_SERVING' });
  /** The port actually bound (FW_GRPC_PORT, or the one the OS picked for 0). */
  port: number | null = null;

  constructor(
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly handlers: JobsGrpcHandlers,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const server = new Server({ 'grpc.max_receive_message_length': MAX_RECEIVE_BYTES });
    server.addService(JobServiceService, this.handlers.implementation());
    this.health.addToServer(server);
    // Reflection serves the descriptors generated with the code (not .proto files read at run time), and the health service's.
    const api = loadFileDescriptorSetFromBuffer(Buffer.from(FILE_DESCRIPTOR_SET_BASE64, 'base64'), { keepCase: true });
    new ReflectionService({ ...api, ...loadSync(healthProtoPath, { keepCase: true }) }).addToServer(server);
    const address = `${this.config.grpcHost}:${this.config.grpcPort}`;
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    ).catch((err: unknown) => {
      throw new Error(`gRPC server could not listen on ${address}: ${(err as Error).message}`);
    });
    this.server = server;
    this.health.setStatus('', 'SERVING');
    this.health.setStatus(JOB_SERVICE_NAME, 'SERVING');
    this.logger.info({ grpc_port: this.port, api_keys: this.config.apiKeys.length > 0 }, `gRPC listening on ${address}`);
  }

  /** Report NOT_SERVING, let calls in flight finish (open WatchJob streams are ended by the watch service), then stop. */
  async beforeApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.health.setStatus('', 'NOT_SERVING');
    this.health.setStatus(JOB_SERVICE_NAME, 'NOT_SERVING');
    const graceMs = Math.max(1000, this.config.shutdownTimeoutMs - 2000);
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.logger.warn({ grace_ms: graceMs }, 'gRPC calls still open at the deadline; cancelling them');
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}
