import { traceIdFromTraceparent } from './request-context';

describe('traceIdFromTraceparent', () => {
  it('takes the trace id of a valid W3C traceparent', () => {
    expect(traceIdFromTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });
  it('ignores a missing, malformed or all-zero one', () => {
    expect(traceIdFromTraceparent(undefined)).toBeNull();
    expect(traceIdFromTraceparent('garbage')).toBeNull();
    expect(traceIdFromTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01')).toBeNull();
    expect(traceIdFromTraceparent('00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01')).toBeNull();
  });
});
