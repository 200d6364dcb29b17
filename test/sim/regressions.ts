// Seeds that once failed, kept as regression tests: each replays the exact run that caught a bug.
export const REGRESSION_SEEDS: readonly { seed: number; caught: string }[] = [
  {
    seed: 7,
    caught:
      'the hard state recorded a commit index beyond the durable log; after a power loss that kept the ' +
      'hard state but not the log rewrite, a stale entry at that index was applied as committed',
  },
];
