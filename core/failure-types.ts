// The one list of ApplicationFailure types for bad input or a refusal (never
// retried): activities throw them, workflows throw and read them. Plain values
// in core/ so workflow code imports only types from activities/.
export const FailureTypes = {
  TranscriptMissing: 'TranscriptMissing',
  /** The path named is not a *.jsonl file inside the agent transcript folders of the machine judging: nothing was read. */
  TranscriptOutsideRoots: 'TranscriptOutsideRoots',
  /** This machine made its daily cap of model calls (SKILLOPT_MAX_MODEL_CALLS_PER_DAY): it cannot propose now. */
  DailyCapReached: 'DailyCapReached',
  UnknownSkill: 'UnknownSkill',
  InvalidInput: 'InvalidInput',
  /** A concurrent publisher took the next version first. */
  VersionConflict: 'VersionConflict',
} as const;
