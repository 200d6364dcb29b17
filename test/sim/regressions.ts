// Seeds that once failed, kept as regression tests: each replays the exact run that caught a bug.
export const REGRESSION_SEEDS: readonly { seed: number; caught: string }[] = [
  {
    seed: 7,
    caught:
      'the hard state recorded a commit index beyond the durable log; after a power loss that kept the ' +
      'hard state but not the log rewrite, a stale entry at that index was applied as committed',
  },
  {
    seed: 8686,
    caught:
      'membership takes effect when applied: a node restarted after a power loss held two later membership ' +
      'entries durably but had forgotten that the first committed, so it campaigned in a configuration two ' +
      'changes old and won without the voters that had committed a newer entry (fix: every membership ' +
      'entry before the last one in a log is known to be committed)',
  },
];
