import { request } from 'node:http';
import { Health } from './health';
import { Metrics } from './metrics';
import { OpsServer } from './ops-server';

describe('Health', () => {
  it('is ready only once serving and while every check answers; says which failed and why', async () => {
    const h = new Health(200);
    let natsUp = true;
    h.register('nats', () => {
      if (!natsUp) throw new Error('not connected');
    });
    h.register('postgres', async () => undefined);
    h.register('models', () => true);
    expect((await h.readiness()).status).toBe('unavailable'); // still starting
    h.markServing();
    expect(await h.readiness()).toMatchObject({
      status: 'ok',
      checks: { nats: { ok: true }, postgres: { ok: true }, lifecycle: { ok: true } },
    });
    natsUp = false;
    expect(await h.readiness()).toMatchObject({
      status: 'unavailable',
      checks: { nats: { ok: false, error: 'not connected' }, postgres: { ok: true } },
    });
    natsUp = true;
    expect((await h.readiness()).status).toBe('ok');
    h.markStopping();
    expect(await h.readiness()).toMatchObject({ status: 'unavailable', checks: { lifecycle: { ok: false, error: 'stopping' } } });
    expect(h.liveness()).toEqual({ status: 'ok', phase: 'stopping' });
  });

  it('fails a check that hangs, after its timeout', async () => {
    const h = new Health(50);
    h.register('postgres', () => new Promise(() => undefined));
    h.markServing();
    const r = await h.readiness();
    expect(r.checks.postgres).toMatchObject({ ok: false, error: 'no answer within 50 ms' });
  });
});

describe('OpsServer', () => {
  const get = (port: number, path: string) =>
    new Promise<{ status: number; body: string; type: string }>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
      })
        .on('error', reject)
        .end();
    });

  it('serves liveness, readiness (503 when a dependency is down) and metrics', async () => {
    const health = new Health(200);
    let up = false;
    health.register('nats', () => up);
    health.markServing();
    const metrics = new Metrics('extractor', { defaultMetrics: false });
    metrics.frameDone(3);
    const server = new OpsServer(health, metrics);
    const port = await server.listen(0, '127.0.0.1');
    try {
      expect((await get(port, '/healthz')).status).toBe(200);
      const down = await get(port, '/readyz');
      expect(down.status).toBe(503);
      expect(JSON.parse(down.body)).toMatchObject({ status: 'unavailable', checks: { nats: { ok: false } } });
      up = true;
      expect((await get(port, '/readyz')).status).toBe(200);
      const scrape = await get(port, '/metrics');
      expect(scrape.type).toContain('text/plain');
      expect(scrape.body).toContain('framewire_frames_processed_total{stage="extractor"} 3');
      expect((await get(port, '/nope')).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
