import { unknownJobs } from './persist.service';

describe('unknownJobs', () => {
  it('counts the results of jobs the upsert found no row for', () => {
    const written = new Map([['a', {}]]);
    expect(unknownJobs(['a', 'b', 'a', 'b', 'c'], written)).toEqual(
      new Map([
        ['b', 2],
        ['c', 1],
      ]),
    );
    expect(unknownJobs(['a'], written).size).toBe(0);
  });
});
