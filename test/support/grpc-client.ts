/**
 * gRPC helpers for end-to-end tests: the generated JobService client with an
 * API key, an upload that streams a file in chunks, a WatchJob collector, the
 * error a call failed with, and plain clients for health and reflection.
 */
import { createReadStream } from 'node:fs';
import { credentials, loadPackageDefinition, makeGenericClientConstructor, Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { service as healthService } from 'grpc-health-check';
import {
  createJobServiceClient,
  ERROR_CODE_METADATA_KEY,
  type Job,
  type JobEvent,
  type JobServiceClient,
  type SubmitJobRequest,
  type SubmitParams,
  type WatchJobRequest,
} from '@framewire/grpc';

export function jobClient(address: string, apiKey: string | null = null): JobServiceClient {
  return createJobServiceClient(address, { apiKey });
}

/** Stream `messages` (e.g. params, then chunks) as one SubmitJob call. */
export function submitMessages(client: JobServiceClient, messages: AsyncIterable<SubmitJobRequest> | SubmitJobRequest[]): Promise<Job> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const call = client.submitJob((err, job) => {
      settled = true;
      if (err) reject(err);
      else resolve(job);
    });
    void (async () => {
      for await (const m of messages) {
        if (settled) return;
        if (!call.write(m)) await new Promise((r) => call.once('drain', r));
      }
      call.end();
    })().catch((err: Error) => {
      call.cancel();
      reject(err);
    });
  });
}

/** The params message, then the file in chunks of `chunkSize` bytes. */
export async function* uploadMessages(
  params: Partial<SubmitParams>,
  path: string,
  chunkSize = 64 * 1024,
): AsyncGenerator<SubmitJobRequest> {
  yield { part: { $case: 'params', params: { pipelineId: '', frameStride: 0, ...params } } };
  for await (const chunk of createReadStream(path, { highWaterMark: chunkSize })) {
    yield { part: { $case: 'chunk', chunk: chunk as Buffer } };
  }
}

export function submitFile(client: JobServiceClient, params: Partial<SubmitParams>, path: string, chunkSize?: number): Promise<Job> {
  return submitMessages(client, uploadMessages(params, path, chunkSize));
}

/** Every event of one WatchJob call, until the server ends the stream. */
export function watchAll(
  client: JobServiceClient,
  req: Partial<WatchJobRequest> & { jobId: string },
  timeoutMs = 120_000,
): Promise<JobEvent[]> {
  return new Promise((resolve, reject) => {
    const events: JobEvent[] = [];
    const call = client.watchJob({ fromStart: false, ...req }, new Metadata(), { deadline: Date.now() + timeoutMs });
    call.on('data', (ev: JobEvent) => events.push(ev));
    call.on('error', reject);
    call.on('end', () => resolve(events));
  });
}

export interface CallFailure {
  code: number;
  details: string;
  /** The stable Framewire code from the trailing metadata. */
  fwCode: string | undefined;
}

/** The error a call failed with (fails the test if it succeeded). */
export async function failureOf(p: Promise<unknown>): Promise<CallFailure> {
  try {
    await p;
  } catch (err) {
    const e = err as ServiceError;
    const fw = e.metadata?.get(ERROR_CODE_METADATA_KEY)[0];
    return { code: e.code, details: e.details, fwCode: typeof fw === 'string' ? fw : undefined };
  }
  throw new Error('expected the call to fail, it succeeded');
}

/** grpc.health.v1.Health/Check. */
export function healthCheck(address: string, service: string): Promise<string> {
  const Client = makeGenericClientConstructor(healthService, 'Health');
  const client = new Client(address, credentials.createInsecure()) as unknown as {
    check(req: { service: string }, cb: (err: Error | null, res: { status: string }) => void): void;
    close(): void;
  };
  return new Promise((resolve, reject) =>
    client.check({ service }, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(res.status);
    }),
  );
}

/** Server reflection v1: the services listed, and the file descriptor(s) holding a symbol. */
export async function reflect(address: string, symbol: string): Promise<{ services: string[]; descriptors: Buffer[] }> {
  const def = loadSync(require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto'), {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = loadPackageDefinition(def) as unknown as {
    grpc: {
      reflection: { v1: { ServerReflection: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => never } };
    };
  };
  const client = new pkg.grpc.reflection.v1.ServerReflection(address, credentials.createInsecure()) as unknown as {
    ServerReflectionInfo(): NodeJS.ReadWriteStream & { write(m: unknown): boolean; end(): void };
    close(): void;
  };
  const call = client.ServerReflectionInfo();
  const responses: Array<{
    list_services_response?: { service: Array<{ name: string }> };
    file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  }> = [];
  const done = new Promise<void>((resolve, reject) => {
    call.on('data', (r: (typeof responses)[number]) => responses.push(r));
    call.on('error', reject);
    call.on('end', () => resolve());
  });
  call.write({ list_services: '*' });
  call.write({ file_containing_symbol: symbol });
  call.end();
  await done;
  client.close();
  return {
    services: responses.flatMap((r) => r.list_services_response?.service.map((s) => s.name) ?? []),
    descriptors: responses.flatMap((r) => r.file_descriptor_response?.file_descriptor_proto ?? []),
  };
}
