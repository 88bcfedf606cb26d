/**
 * One PipelineRunnerPool worker thread: its own plugins, pipelines and ONNX
 * sessions, built from the pool's plain-data config, running one frame at a
 * time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DomainError } from '@framewire/contracts';
import { PipelineRunner } from './runner';
import { runnerPartsFromConfig, type PoolReply, type PoolRequest, type RunnerPoolConfig } from './runner-pool';

const config = workerData as RunnerPoolConfig;
if (!parentPort) throw new Error('runner-pool.worker runs only as a worker thread');
const port = parentPort;

const { plugins, pipelines } = runnerPartsFromConfig(config);
const runner = new PipelineRunner(pipelines, plugins);
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
