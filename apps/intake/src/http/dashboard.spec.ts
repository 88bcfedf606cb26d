import { isDashboardRoute } from './dashboard';

describe('isDashboardRoute', () => {
  it.each([
    ['GET', '/ui', true],
    ['GET', '/ui/', true],
    ['GET', '/ui/jobs/5f0c7e9a-0000-4000-8000-000000000000', true],
    ['HEAD', '/ui/dlq', true],
    ['GET', '/ui/app/missing.js', false],
    ['GET', '/ui/style.css', false],
    ['POST', '/ui/jobs', false],
    ['GET', '/uix', false],
    ['GET', '/v1/jobs', false],
  ])('%s %s → %s', (method, path, expected) => {
    expect(isDashboardRoute(method, path)).toBe(expected);
  });
});
