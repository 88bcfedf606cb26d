import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { checkDeploy } from '../../scripts/deploy/check';
import { objectId, renderKustomization } from '../../scripts/deploy/kustomize';
import { formatProblem, type Problem } from '../../scripts/deploy/problems';

/**
 * The deploy check (scripts/deploy-check.ts) on copies of the repository's
 * deployment files, each broken in one way: every break must be reported, with
 * its file, object and path. In-process runs skip the kubernetes-models
 * `.validate()` pass (an ES module, which jest's CommonJS runtime cannot
 * import); the CLI runs cover it.
 */
const ROOT = join(__dirname, '..', '..');
const roots: string[] = [];

/** A copy of what the check reads, with `edits` applied (each must change its file). */
function fixture(edits: Record<string, Array<[string | RegExp, string]>> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'fw-deploy-check-'));
  roots.push(root);
  for (const entry of ['docker-compose.yml', 'deploy', 'docs']) cpSync(join(ROOT, entry), join(root, entry), { recursive: true });
  for (const app of readdirSync(join(ROOT, 'apps'))) mkdirSync(join(root, 'apps', app), { recursive: true });
  for (const [file, replacements] of Object.entries(edits)) {
    const path = join(root, file);
    let text = readFileSync(path, 'utf8');
    for (const [from, to] of replacements) {
      const next = text.replace(from, to);
      if (next === text) throw new Error(`fixture edit of ${file} changed nothing: ${String(from)}`);
      text = next;
    }
    writeFileSync(path, text);
  }
  return root;
}

async function problemsOf(edits: Record<string, Array<[string | RegExp, string]>>): Promise<Problem[]> {
  return (await checkDeploy(fixture(edits), { skipModelValidation: true })).problems;
}

function runCli(root: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', join(ROOT, 'scripts', 'deploy-check.ts'), '--root', root],
    { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') } },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

describe('deploy check', () => {
  jest.setTimeout(120_000);

  it('passes on the repository as it is', async () => {
    const { problems, checked } = await checkDeploy(ROOT, { skipModelValidation: true });
    expect(problems.map(formatProblem)).toEqual([]);
    expect(checked).toEqual([
      expect.stringMatching(/^docker-compose\.yml/),
      expect.stringMatching(/^deploy\/grafana \(1 dashboard\)/),
      expect.stringMatching(/^deploy\/k8s \(/),
      expect.stringMatching(/^deploy\/k8s-dev \(/),
    ]);
  });

  it('passes on an unedited copy (so every failure below comes from its edit)', async () => {
    expect((await problemsOf({})).map(formatProblem)).toEqual([]);
  });

  it('requires a compose service and a Deployment for every app in apps/ but the CLI', async () => {
    const root = fixture();
    mkdirSync(join(root, 'apps', 'thumbnailer'));
    const { problems } = await checkDeploy(root, { skipModelValidation: true });
    expect(problems).toEqual(
      expect.arrayContaining([
        { file: 'docker-compose.yml', message: 'no service thumbnailer for apps/thumbnailer' },
        { file: 'deploy/k8s/kustomization.yaml', message: 'no Deployment thumbnailer for apps/thumbnailer' },
      ]),
    );
    expect(problems.map(formatProblem).join('\n')).not.toMatch(/\bcli\b/);
  });

  describe('docker-compose.yml', () => {
    it('rejects a key the Compose Specification does not have', async () => {
      const problems = await problemsOf({
        'docker-compose.yml': [['  persister:\n    <<: *app\n', '  persister:\n    <<: *app\n    restart_policy: always\n']],
      });
      expect(problems).toContainEqual({
        file: 'docker-compose.yml',
        object: 'service persister',
        path: 'services.persister.restart_policy',
        message: 'unknown key (not in the Compose Specification)',
      });
    });

    it('rejects a value of the wrong type', async () => {
      const problems = await problemsOf({ 'docker-compose.yml': [['retries: 30 }', "retries: 'many' }"]] });
      expect(problems).toContainEqual(
        expect.objectContaining({ path: 'services.postgres.healthcheck.retries', message: 'must be number' }),
      );
    });

    it('keeps inference scalable: no container name, no fixed host port', async () => {
      const problems = await problemsOf({
        'docker-compose.yml': [
          [
            "environment: { <<: *app-env, APP: inference, FW_OPS_PORT: '9102' }",
            "environment: { <<: *app-env, APP: inference, FW_OPS_PORT: '9102' }\n    container_name: inference\n    ports: ['9102:9102']",
          ],
        ],
      });
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            object: 'service inference',
            path: 'services.inference.container_name',
            message: expect.stringContaining('--scale'),
          }),
          expect.objectContaining({
            object: 'service inference',
            path: 'services.inference.ports[0]',
            message: expect.stringContaining('--scale'),
          }),
        ]),
      );
    });

    it("requires the healthcheck to call the app's readiness endpoint on its port", async () => {
      const problems = await problemsOf({
        'docker-compose.yml': [["fetch('http://127.0.0.1:9103/readyz')", "fetch('http://127.0.0.1:9103/healthz')"]],
      });
      expect(problems).toContainEqual(
        expect.objectContaining({
          object: 'service persister',
          path: 'services.persister.healthcheck.test',
          message: expect.stringContaining('must call http://127.0.0.1:9103/readyz'),
        }),
      );
    });

    it('follows FW_OPS_PORT to the healthcheck', async () => {
      const problems = await problemsOf({
        'docker-compose.yml': [["APP: status, FW_OPS_PORT: '9104'", "APP: status, FW_OPS_PORT: '9200'"]],
      });
      expect(problems).toContainEqual(
        expect.objectContaining({ object: 'service status', message: expect.stringContaining('must call http://127.0.0.1:9200/readyz') }),
      );
    });

    it('rejects an undocumented variable, naming the documented one it resembles', async () => {
      const problems = await problemsOf({
        'docker-compose.yml': [["APP: extractor, FW_OPS_PORT: '9101'", "APP: extractor, FW_OPS_PORT: '9101', FW_EXTRACT_CONCURENCY: '4'"]],
      });
      expect(problems).toContainEqual({
        file: 'docker-compose.yml',
        object: 'service extractor',
        path: 'services.extractor.environment.FW_EXTRACT_CONCURENCY',
        message: 'FW_EXTRACT_CONCURENCY is not a documented variable (docs/configuration.md); did you mean FW_EXTRACT_CONCURRENCY?',
      });
    });

    it("rejects a value the app's own config would refuse at start", async () => {
      const problems = await problemsOf({
        'docker-compose.yml': [["APP: extractor, FW_OPS_PORT: '9101'", "APP: extractor, FW_OPS_PORT: '9101', FW_JPEG_QUALITY: '120'"]],
      });
      expect(problems).toContainEqual(
        expect.objectContaining({
          object: 'service extractor',
          message: expect.stringMatching(/extractor would refuse to start: FW_JPEG_QUALITY: must be <= 100/),
        }),
      );
    });

    it('gives the apps time to shut down gracefully', async () => {
      const problems = await problemsOf({ 'docker-compose.yml': [['stop_grace_period: 30s', 'stop_grace_period: 10s']] });
      expect(problems).toContainEqual(
        expect.objectContaining({
          path: 'services.intake.stop_grace_period',
          message: expect.stringContaining('FW_SHUTDOWN_TIMEOUT_MS (20000 ms)'),
        }),
      );
    });

    it('requires the NATS monitoring port', async () => {
      const problems = await problemsOf({ 'docker-compose.yml': [["'--http_port', '8222'", "'--port', '4222'"]] });
      expect(problems).toContainEqual(
        expect.objectContaining({ object: 'service nats', message: expect.stringContaining('monitoring endpoint') }),
      );
    });
  });

  describe('NATS credentials', () => {
    it('checks that the apps log in as a user of deploy/nats/nats.conf with its password', async () => {
      const problems = await problemsOf({ 'docker-compose.yml': [['FW_NATS_PASSWORD: framewire-nats', 'FW_NATS_PASSWORD: guessed']] });
      expect(problems).toContainEqual(
        expect.objectContaining({
          object: 'service intake',
          path: 'services.intake.environment',
          message: 'FW_NATS_PASSWORD is not the password of user framewire ($NATS_SERVICE_PASSWORD of the NATS server)',
        }),
      );
      expect(problems.map(formatProblem).join('\n')).not.toContain('guessed');
    });

    it('reports an app without credentials, and a password without its user', async () => {
      const problems = await problemsOf({
        'docker-compose.yml': [[/  FW_NATS_USER: framewire.*\n  FW_NATS_PASSWORD: framewire-nats\n/, '']],
      });
      expect(problems).toContainEqual(
        expect.objectContaining({
          object: 'service status',
          message: 'NATS requires credentials (deploy/nats/nats.conf): set FW_NATS_USER and FW_NATS_PASSWORD of a user there',
        }),
      );
      const half = await problemsOf({ 'docker-compose.yml': [[/  FW_NATS_USER: framewire.*\n/, '']] });
      expect(half).toContainEqual(
        expect.objectContaining({
          object: 'service persister',
          message: expect.stringContaining('FW_NATS_PASSWORD is set without FW_NATS_USER'),
        }),
      );
    });

    it('reports a variable of nats.conf that the NATS server is not given', async () => {
      const problems = await problemsOf({ 'docker-compose.yml': [[/      NATS_EVENTS_PASSWORD: .*\n/, '']] });
      expect(problems).toContainEqual(
        expect.objectContaining({
          object: 'service nats',
          message: "deploy/nats/nats.conf references $NATS_EVENTS_PASSWORD, which the NATS server's environment does not set",
        }),
      );
    });

    it('keeps the Kubernetes copy of nats.conf the same, and resolves the Secret keys of the passwords', async () => {
      const problems = await problemsOf({
        'deploy/k8s/nats.yaml': [
          ['{ user: framewire, password: $NATS_SERVICE_PASSWORD }', '{ user: fw, password: $NATS_SERVICE_PASSWORD }'],
        ],
        'deploy/k8s/config.yaml': [['  nats-events-password: CHANGE-ME\n', '']],
      });
      const text = problems.map(formatProblem).join('\n');
      expect(text).toContain(
        'StatefulSet/nats: spec.template.spec.containers[0].args: /etc/nats/nats.conf differs from deploy/nats/nats.conf',
      );
      expect(text).toContain(
        'Deployment/intake: spec.template.spec.containers[0].env: FW_NATS_USER framewire is no user of /etc/nats/nats.conf',
      );
      expect(text).toContain('Secret framewire-secrets has no key nats-events-password');
    });
  });

  describe('deploy/k8s', () => {
    it('rejects a misspelt field of a Deployment, naming the right one', async () => {
      const problems = await problemsOf({ 'deploy/k8s/inference.yaml': [['          livenessProbe:', '          livenesProbe:']] });
      expect(problems).toContainEqual({
        file: 'deploy/k8s/inference.yaml',
        object: 'Deployment/inference',
        path: 'spec.template.spec.containers[0].livenesProbe',
        message: 'unknown field (did you mean livenessProbe?)',
      });
    });

    it('rejects a misspelt field of the KEDA ScaledObject', async () => {
      const problems = await problemsOf({ 'deploy/k8s/inference.yaml': [['  maxReplicaCount: 10', '  maxReplicas: 10']] });
      expect(problems).toContainEqual(
        expect.objectContaining({
          object: 'ScaledObject/inference',
          path: 'spec.maxReplicas',
          message: 'unknown field (did you mean maxReplicaCount?)',
        }),
      );
    });

    it('rejects a Stream whose subjects differ from the topology the apps provision', async () => {
      const problems = await problemsOf({
        'deploy/k8s/streams.yaml': [
          ['subjects: [fw.work.extract, fw.work.infer, fw.work.persist, fw.work.webhook]', 'subjects: [fw.work.extract, fw.work.infer]'],
        ],
      });
      expect(problems).toContainEqual({
        file: 'deploy/k8s/streams.yaml',
        object: 'Stream/fw-work',
        path: 'spec.subjects',
        message: `["fw.work.extract","fw.work.infer"] differs from the topology's subjects ["fw.work.extract","fw.work.infer","fw.work.persist","fw.work.webhook"]`,
      });
    });

    it('compares retention, storage (NACK defaults to memory) and durations with the topology', async () => {
      const problems = await problemsOf({
        'deploy/k8s/streams.yaml': [
          ['  retention: workqueue\n  storage: file\n', '  retention: limits\n'],
          ['  maxAge: 168h', '  maxAge: 24h'],
        ],
      });
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            object: 'Stream/fw-work',
            path: 'spec.retention',
            message: '"limits" differs from the topology\'s retention "workqueue"',
          }),
          expect.objectContaining({
            object: 'Stream/fw-work',
            path: 'spec.storage',
            message: '"memory" (default) differs from the topology\'s storage "file"',
          }),
          expect.objectContaining({
            object: 'Stream/fw-events',
            path: 'spec.maxAge',
            message: "24h differs from the topology's max_age 168h",
          }),
        ]),
      );
    });

    it('requires a Stream for every stream of the topology, and no other', async () => {
      const problems = await problemsOf({ 'deploy/k8s/streams.yaml': [['  name: FW_DLQ', '  name: FW_DEAD']] });
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ message: expect.stringContaining('no NACK Stream for FW_DLQ') }),
          expect.objectContaining({ object: 'Stream/fw-dlq', message: 'stream FW_DEAD is not in the topology the apps provision' }),
        ]),
      );
    });

    it('rejects an unknown field of a NACK Stream', async () => {
      const problems = await problemsOf({
        'deploy/k8s/streams.yaml': [['  duplicateWindow: 2m\n  replicas: 1\n', '  duplicateWindow: 2m\n  replica: 1\n']],
      });
      expect(problems).toContainEqual(
        expect.objectContaining({ object: 'Stream/fw-work', path: 'spec.replica', message: 'unknown field of a NACK Stream' }),
      );
    });

    it('scales inference on its own consumer of FW_WORK, through the NATS monitoring port', async () => {
      const problems = await problemsOf({
        'deploy/k8s/inference.yaml': [
          ['consumer: inference', 'consumer: extractor'],
          ['svc.cluster.local:8222', 'svc.cluster.local:4222'],
        ],
      });
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            object: 'ScaledObject/inference',
            path: 'spec.triggers[0].metadata.consumer',
            message: expect.stringContaining('must be inference'),
          }),
          expect.objectContaining({
            object: 'ScaledObject/inference',
            path: 'spec.triggers[0].metadata.natsServerMonitoringEndpoint',
            message: expect.stringContaining('no monitoring endpoint'),
          }),
        ]),
      );
    });

    it('leaves the replicas of an autoscaled Deployment to the autoscaler', async () => {
      const problems = await problemsOf({
        'deploy/k8s/inference.yaml': [['spec:\n  revisionHistoryLimit: 5', 'spec:\n  replicas: 2\n  revisionHistoryLimit: 5']],
      });
      expect(problems).toContainEqual(
        expect.objectContaining({
          object: 'Deployment/inference',
          path: 'spec.replicas',
          message: expect.stringContaining('ScaledObject/inference scales it'),
        }),
      );
    });

    it('requires probes on the endpoints of the app, on its port', async () => {
      const problems = await problemsOf({ 'deploy/k8s/extractor.yaml': [['path: /readyz', 'path: /healthz']] });
      expect(problems).toContainEqual(
        expect.objectContaining({
          object: 'Deployment/extractor',
          path: 'spec.template.spec.containers[0].readinessProbe',
          message: expect.stringContaining('must be httpGet /readyz on port 9101'),
        }),
      );
    });

    it('requires a grace period that covers preStop and the graceful shutdown', async () => {
      const problems = await problemsOf({
        'deploy/k8s/intake.yaml': [['terminationGracePeriodSeconds: 35', 'terminationGracePeriodSeconds: 25']],
      });
      expect(problems).toContainEqual(
        expect.objectContaining({
          object: 'Deployment/intake',
          path: 'spec.template.spec.terminationGracePeriodSeconds',
          message: expect.stringContaining('preStop sleep (5000 ms) + FW_SHUTDOWN_TIMEOUT_MS (20000 ms)'),
        }),
      );
    });

    it('resolves Secret keys and scrape annotations', async () => {
      const problems = await problemsOf({
        'deploy/k8s/status.yaml': [
          ['key: database-url', 'key: database_url'],
          ["prometheus.io/port: '9104'", "prometheus.io/port: '9100'"],
        ],
      });
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ object: 'Deployment/status', message: 'Secret framewire-secrets has no key database_url' }),
          expect.objectContaining({
            object: 'Deployment/status',
            path: 'spec.template.metadata.annotations["prometheus.io/port"]',
            message: 'must be "9104"',
          }),
        ]),
      );
    });

    it('reports kustomization fields the offline renderer does not implement', async () => {
      const problems = await problemsOf({
        'deploy/k8s/kustomization.yaml': [['namespace: framewire', 'namespace: framewire\ncommonLabels:\n  team: video']],
      });
      expect(problems).toContainEqual(
        expect.objectContaining({
          file: 'deploy/k8s/kustomization.yaml',
          path: 'commonLabels',
          message: expect.stringContaining('not supported by the offline renderer'),
        }),
      );
    });

    const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
    (kubectl ? it : it.skip)('renders each kustomization as `kubectl kustomize` does (where kubectl is installed)', () => {
      for (const dir of ['deploy/k8s', 'deploy/k8s-dev']) {
        const problems: Problem[] = [];
        const sorted = (v: unknown): string =>
          JSON.stringify(v, (_k, x: unknown) =>
            x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x,
          );
        const mine = new Map(renderKustomization(ROOT, dir, problems).objects.map((o) => [objectId(o.value), sorted(o.value)]));
        const theirs = new Map(
          parseAllDocuments(execFileSync('kubectl', ['kustomize', dir], { cwd: ROOT, encoding: 'utf8' })).map((d) => {
            const v = d.toJS() as Record<string, never>;
            return [objectId(v), sorted(v)];
          }),
        );
        expect(problems).toEqual([]);
        expect(mine).toEqual(theirs);
      }
    });
  });

  describe('deploy/grafana', () => {
    const DASHBOARD = 'deploy/grafana/dashboards/framewire.json';

    it('rejects a query of a metric the code does not register, with a hint', async () => {
      const problems = await problemsOf({ [DASHBOARD]: [['max(framewire_dlq_messages)', 'max(framewire_dlq_mesages)']] });
      expect(problems).toContainEqual({
        file: DASHBOARD,
        object: 'panel Dead letters (FW_DLQ)',
        path: 'targets[0].expr',
        message: 'no metric framewire_dlq_mesages in the code (apps/, libs/); did you mean framewire_dlq_messages?',
      });
    });

    it('rejects a dashboard that is not JSON', async () => {
      const problems = await problemsOf({ [DASHBOARD]: [[/^\{/, '{,']] });
      expect(problems).toEqual([{ file: DASHBOARD, message: expect.stringMatching(/^not JSON: /) }]);
    });

    it('rejects a datasource uid that is not provisioned', async () => {
      const problems = await problemsOf({
        'deploy/grafana/provisioning/datasources/prometheus.yml': [['uid: framewire-prometheus', 'uid: prom']],
      });
      expect(problems).toContainEqual(
        expect.objectContaining({
          file: DASHBOARD,
          path: 'datasource.uid',
          message: 'no provisioned datasource framewire-prometheus in deploy/grafana/provisioning/datasources',
        }),
      );
    });
  });

  describe('the command', () => {
    it('exits 0 on the repository', () => {
      const r = runCli(ROOT);
      expect(r.stdout + r.stderr).toMatch(/^deploy check: ok: docker-compose\.yml/m);
      expect(r.status).toBe(0);
    });

    it('exits 1 with one line per problem, schema errors of kubernetes-models included', () => {
      const root = fixture({ 'deploy/k8s/persister.yaml': [['  replicas: 1\n', "  replicas: 'one'\n"]] });
      const r = runCli(root);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain('✗ deploy/k8s/persister.yaml: Deployment/persister: spec.replicas: must be integer\n');
      expect(r.stdout).toMatch(/^deploy check: \d+ problems? in /m);
    });
  });
});
