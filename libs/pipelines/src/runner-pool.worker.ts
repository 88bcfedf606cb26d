/**
 * One ThreadPoolPipelineRunner worker thread: its own plugins, pipelines and
 * ONNX sessions, built by createPipelineRuntime from the pool's plain-data
 * config with one worker (an InProcessPipelineRunner), running one frame at a
 * time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DomainError } from '@framewire/contracts';
import type { PoolReply, PoolRequest, RunnerPoolConfig } from './runner-pool';
import { createPipelineRuntime } from './runtime';

const config = workerData as RunnerPoolConfig['runtime'];
if (!parentPort) throw new Error('runner-pool.worker runs only as a worker thread');
const port = parentPort;

const { runner } = createPipelineRuntime({ ...config, workers: 1 });
const reply = (m: PoolReply) => port.postMessage(m);

port.on('message', (req: PoolRequest) => {
  void handle(req);
});

async function handle(req: PoolRequest): Promise<void> {
  switch (req.kind) {
    case 'init':
      try {
        await runner.init(req.pipelineIds ?? undefined);
        const ids = req.pipelineIds ?? runner.pipelineIds();
        reply({ kind: 'ready', pipelineIds: runner.pipelineIds(), versions: ids.map((id) => runner.versionInfo(id)) });
      } catch (err) {
        reply({ kind: 'error', id: null, error: { message: err instanceof Error ? err.message : String(err) } });
      }
      return;
    case 'run':
      try {
        const frame = { ...req.frame, jpeg: Buffer.from(req.frame.jpeg.buffer, req.frame.jpeg.byteOffset, req.frame.jpeg.byteLength) };
        reply({ kind: 'result', id: req.id, result: await runner.run(req.pipelineId, frame) });
      } catch (err) {
        const error =
          err instanceof DomainError
            ? { message: err.message, code: err.code, ...(err.details ? { details: err.details } : {}) }
            : { message: err instanceof Error ? err.message : String(err) };
        reply({ kind: 'error', id: req.id, error });
      }
      return;
    case 'close':
      await runner.close();
      reply({ kind: 'closed' });
      port.close();
      return;
  }
}
