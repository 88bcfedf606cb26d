import {
  credentials,
  InterceptingCall,
  Metadata,
  type CallOptions,
  type ChannelCredentials,
  type ClientUnaryCall,
  type Interceptor,
  type ServiceError,
} from '@grpc/grpc-js';
import { JobServiceClient } from './generated/framewire/v1/jobs';

export interface JobServiceClientOptions {
  /** Sent as `authorization: Bearer <key>` on every call. */
  apiKey?: string | null;
  /** TLS with the system roots (or these credentials); default: plaintext. */
  tls?: boolean | ChannelCredentials;
}

/** A JobService client (the generated one) that presents the API key on every call. */
export function createJobServiceClient(address: string, opts: JobServiceClientOptions = {}): JobServiceClient {
  const creds = opts.tls === true ? credentials.createSsl() : opts.tls ? opts.tls : credentials.createInsecure();
  const apiKey = opts.apiKey;
  const interceptors: Interceptor[] = apiKey
    ? [
        (options, next) =>
          new InterceptingCall(next(options), {
            start(metadata, listener, start) {
              metadata.set('authorization', `Bearer ${apiKey}`);
              start(metadata, listener);
            },
          }),
      ]
    : [];
  return new JobServiceClient(address, creds, {
    interceptors,
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  });
}

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

/**
 * Await a unary call of a generated client:
 *   const job = await unary(client.getJob.bind(client), { jobId });
 */
export function unary<Req, Res>(
  method: UnaryMethod<Req, Res>,
  request: Req,
  options: Partial<CallOptions> & { metadata?: Metadata } = {},
): Promise<Res> {
  const { metadata = new Metadata(), ...callOptions } = options;
  return new Promise((resolve, reject) => {
    method(request, metadata, callOptions, (err, res) => (err ? reject(err) : resolve(res)));
  });
}
