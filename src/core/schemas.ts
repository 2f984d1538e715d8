/**
 * valibot schemas for everything that crosses a wire, a worker boundary or a file, with size
 * limits on every variable-length field. Types are inferred from the schemas so the two never
 * drift apart. Objects are strict: unknown keys are rejected, not silently stripped, because a
 * signature covers exactly the fields that are present.
 */
import * as v from 'valibot';

export const LIMITS = {
  maxDomains: 32,
  maxOptimaePerBlock: 64,
  maxVotesPerOptimae: 16,
  maxTransactionsPerBlock: 256,
  maxCoinbaseOutputs: 64 * 17 + 1,
  maxMemoLength: 140,
  maxNameLength: 64,
  maxDescriptionLength: 280,
  maxParamCount: 10_000_000,
  maxRecentTimestamps: 64,
  maxTrackedAccounts: 1_000_000,
  maxEligibleEvaluators: 256,
} as const;

const hexRegex = (bytes: number) => new RegExp(`^[0-9a-f]{${bytes * 2}}$`);

export const HashSchema = v.pipe(
  v.string(),
  v.regex(hexRegex(32), 'expected 32 bytes as lowercase hex'),
);
export const AccountIdSchema = v.pipe(
  v.string(),
  v.regex(hexRegex(32), 'expected an Ed25519 public key as 64 lowercase hex characters'),
);
export const SignatureSchema = v.pipe(
  v.string(),
  v.regex(hexRegex(64), 'expected an Ed25519 signature as 128 lowercase hex characters'),
);
export const DomainIdSchema = v.pipe(
  v.string(),
  v.regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'domain ids are 1-48 characters of a-z, 0-9 and -'),
);
/**
 * Numbers must have a canonical encoding (see encoding.ts): no -0 and no integral value outside
 * the safe range, or hashing a schema-valid object would throw.
 */
const canonicalNumber = v.check(
  (n: number) => !Object.is(n, -0) && (!Number.isInteger(n) || Number.isSafeInteger(n)),
  'expected a canonically encodable number (no -0, integers within the safe range)',
);
export const UintSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0), canonicalNumber);
export const PositiveIntSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(1));
export const MetricSchema = v.pipe(v.number(), v.finite(), canonicalNumber);
const Bps = v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(10_000), canonicalNumber);
/** Free text; a lone UTF-16 surrogate has no canonical (UTF-8) encoding, so it is refused. */
const Text = (max: number) =>
  v.pipe(
    v.string(),
    v.maxLength(max),
    v.check((s: string) => !/[\uD800-\uDFFF]/u.test(s), 'lone UTF-16 surrogate in text'),
  );

// ---- domains and network parameters -------------------------------------------------------

export const DomainDescriptorSchema = v.strictObject({
  id: DomainIdSchema,
  name: Text(LIMITS.maxNameLength),
  description: Text(LIMITS.maxDescriptionLength),
  metric: v.pipe(v.string(), v.regex(/^[a-z0-9_-]{1,32}$/)),
  direction: v.picklist(['minimize', 'maximize']),
  /** Multiplies every verified improvement: how much the network values this domain. */
  weight: v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1e9), canonicalNumber),
  /** Relative tolerance for vote agreement and the smallest improvement that counts. */
  tolerance: v.pipe(v.number(), v.finite(), v.minValue(1e-9), v.maxValue(0.5)),
  /** Metric of the domain's deterministic initial parameters: the first best to beat. */
  initialBest: MetricSchema,
  paramCount: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(LIMITS.maxParamCount)),
});

export const NetworkParamsSchema = v.strictObject({
  version: v.literal(1),
  name: Text(LIMITS.maxNameLength),
  genesisTimestamp: UintSchema,
  targetBlockTimeMs: v.pipe(v.number(), v.safeInteger(), v.minValue(100), v.maxValue(86_400_000)),
  /** Increments are integers: a float improvement times weight is scaled by this and floored. */
  incrementScale: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(1e9)),
  threshold: v.strictObject({
    initial: PositiveIntSchema,
    min: PositiveIntSchema,
    max: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(1e12)),
    emaWindow: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(10_000)),
    maxStepBps: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(9_000)),
    epochLength: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(100_000)),
    epochMaxFactor: v.pipe(v.number(), v.safeInteger(), v.minValue(2), v.maxValue(1_000)),
    /** Block intervals fed to the EMA are clamped to [1 ms, target × this]. */
    intervalClampFactor: v.pipe(v.number(), v.safeInteger(), v.minValue(2), v.maxValue(100)),
  }),
  quorum: v.strictObject({
    size: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(LIMITS.maxVotesPerOptimae)),
    commitExpiryBlocks: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(1_000)),
  }),
  reward: v.strictObject({
    initial: PositiveIntSchema,
    halvingInterval: PositiveIntSchema,
    generatorBps: Bps,
    optimizerBps: Bps,
  }),
  reputation: v.strictObject({
    perVerifiedOptimae: UintSchema,
    perAgreeingVote: UintSchema,
    outlierPenalty: UintSchema,
    falseClaimPenalty: UintSchema,
    /** Reputation at which an account becomes an established evaluator. */
    evaluatorMin: PositiveIntSchema,
    /** Reputation at which the optimizer factor reaches 100%. */
    saturation: PositiveIntSchema,
    /** Factor (bps) an optimizer with zero reputation still earns. */
    newcomerFactorBps: v.pipe(Bps, v.minValue(1)),
    halfLifeBlocks: PositiveIntSchema,
  }),
  time: v.strictObject({
    medianSpan: v.pipe(
      v.number(),
      v.safeInteger(),
      v.minValue(1),
      v.maxValue(LIMITS.maxRecentTimestamps),
    ),
    maxFutureDriftMs: UintSchema,
  }),
  domains: v.pipe(v.array(DomainDescriptorSchema), v.minLength(1), v.maxLength(LIMITS.maxDomains)),
});

// ---- optimization round ---------------------------------------------------------------------

export const CommitBodySchema = v.strictObject({
  domainId: DomainIdSchema,
  optimizer: AccountIdSchema,
  /** sha256("doin/1/commitment" ‖ 0 ‖ paramsHash ‖ nonce): hides the parameters until reveal. */
  commitment: HashSchema,
  claimedMetric: MetricSchema,
  /** The chain tip the optimizer built on; fixes the quorum and the evaluation seeds. */
  baseHeight: UintSchema,
  baseHash: HashSchema,
});
export const CommitSchema = v.strictObject({
  ...CommitBodySchema.entries,
  signature: SignatureSchema,
});

export const RevealBodySchema = v.strictObject({
  commitId: HashSchema,
  optimizer: AccountIdSchema,
  paramsHash: HashSchema,
  nonce: HashSchema,
});
export const RevealSchema = v.strictObject({
  ...RevealBodySchema.entries,
  signature: SignatureSchema,
});

export const VoteBodySchema = v.strictObject({
  commitId: HashSchema,
  paramsHash: HashSchema,
  evaluator: AccountIdSchema,
  metric: MetricSchema,
});
export const VoteSchema = v.strictObject({ ...VoteBodySchema.entries, signature: SignatureSchema });

export const OptimaeSchema = v.strictObject({
  commit: CommitSchema,
  reveal: RevealSchema,
  votes: v.pipe(v.array(VoteSchema), v.minLength(1), v.maxLength(LIMITS.maxVotesPerOptimae)),
});

// ---- transactions ---------------------------------------------------------------------------

export const TransferBodySchema = v.strictObject({
  type: v.literal('transfer'),
  from: AccountIdSchema,
  to: AccountIdSchema,
  amount: PositiveIntSchema,
  fee: UintSchema,
  /** Must equal the sender's current nonce; it then increments, so a transfer applies once. */
  nonce: UintSchema,
  memo: Text(LIMITS.maxMemoLength),
});
export const TransferSchema = v.strictObject({
  ...TransferBodySchema.entries,
  signature: SignatureSchema,
});

export const CoinbaseOutputSchema = v.strictObject({
  to: AccountIdSchema,
  amount: PositiveIntSchema,
});
export const CoinbaseSchema = v.strictObject({
  type: v.literal('coinbase'),
  height: UintSchema,
  outputs: v.pipe(v.array(CoinbaseOutputSchema), v.maxLength(LIMITS.maxCoinbaseOutputs)),
});

export const TransactionSchema = v.variant('type', [CoinbaseSchema, TransferSchema]);

// ---- blocks ---------------------------------------------------------------------------------

export const BlockHeaderSchema = v.strictObject({
  version: v.literal(1),
  height: UintSchema,
  /** For genesis: the hash of the network parameters, so the genesis hash names the network. */
  prevHash: HashSchema,
  timestamp: UintSchema,
  generator: AccountIdSchema,
  /** The threshold this block had to reach (the schedule's value after its parent). */
  threshold: UintSchema,
  incrementSum: UintSchema,
  optimaeRoot: HashSchema,
  txRoot: HashSchema,
});

export const BlockSchema = v.strictObject({
  header: BlockHeaderSchema,
  signature: SignatureSchema,
  optimae: v.pipe(v.array(OptimaeSchema), v.maxLength(LIMITS.maxOptimaePerBlock)),
  transactions: v.pipe(v.array(TransactionSchema), v.maxLength(LIMITS.maxTransactionsPerBlock + 1)),
});

// ---- chain state ----------------------------------------------------------------------------

export const AccountStateSchema = v.strictObject({
  balance: UintSchema,
  nonce: UintSchema,
  reputation: UintSchema,
  /** Height at which reputation was last written; decay is applied lazily from here. */
  reputationHeight: UintSchema,
});

export const DomainStateSchema = v.strictObject({
  bestMetric: MetricSchema,
  /** null while the domain still has its deterministic initial parameters. */
  bestParamsHash: v.nullable(HashSchema),
  bestCommitId: v.nullable(HashSchema),
  bestHeight: UintSchema,
  verifiedCount: UintSchema,
});

export const RecentBlockSchema = v.strictObject({
  hash: HashSchema,
  height: UintSchema,
  timestamp: UintSchema,
  /** Established evaluators for commits built on this block, sorted. */
  evaluators: v.pipe(v.array(AccountIdSchema), v.maxLength(LIMITS.maxEligibleEvaluators)),
  /** Newcomers (some reputation, below evaluatorMin) for commits built on this block, sorted. */
  newcomers: v.pipe(v.array(AccountIdSchema), v.maxLength(LIMITS.maxEligibleEvaluators)),
});

export const ChainStateSchema = v.strictObject({
  params: NetworkParamsSchema,
  networkId: HashSchema,
  height: UintSchema,
  tipHash: HashSchema,
  cumulativeWork: UintSchema,
  threshold: PositiveIntSchema,
  emaBlockTimeMs: PositiveIntSchema,
  epochStartThreshold: PositiveIntSchema,
  totalSupply: UintSchema,
  accounts: v.record(AccountIdSchema, AccountStateSchema),
  domains: v.record(DomainIdSchema, DomainStateSchema),
  /** The last max(commitExpiryBlocks + 1, medianSpan) blocks, tip last: commit bases, clock. */
  recentBlocks: v.pipe(v.array(RecentBlockSchema), v.minLength(1), v.maxLength(1_001)),
  /** Commit ids included in recent blocks, with their height, so no optimae is paid twice. */
  recentCommits: v.record(HashSchema, UintSchema),
});

export type DomainDescriptor = v.InferOutput<typeof DomainDescriptorSchema>;
export type NetworkParams = v.InferOutput<typeof NetworkParamsSchema>;
export type CommitBody = v.InferOutput<typeof CommitBodySchema>;
export type Commit = v.InferOutput<typeof CommitSchema>;
export type RevealBody = v.InferOutput<typeof RevealBodySchema>;
export type Reveal = v.InferOutput<typeof RevealSchema>;
export type VoteBody = v.InferOutput<typeof VoteBodySchema>;
export type Vote = v.InferOutput<typeof VoteSchema>;
export type Optimae = v.InferOutput<typeof OptimaeSchema>;
export type TransferBody = v.InferOutput<typeof TransferBodySchema>;
export type Transfer = v.InferOutput<typeof TransferSchema>;
export type CoinbaseOutput = v.InferOutput<typeof CoinbaseOutputSchema>;
export type Coinbase = v.InferOutput<typeof CoinbaseSchema>;
export type Transaction = v.InferOutput<typeof TransactionSchema>;
export type BlockHeader = v.InferOutput<typeof BlockHeaderSchema>;
export type Block = v.InferOutput<typeof BlockSchema>;
export type AccountState = v.InferOutput<typeof AccountStateSchema>;
export type DomainState = v.InferOutput<typeof DomainStateSchema>;
export type RecentBlock = v.InferOutput<typeof RecentBlockSchema>;
export type ChainState = v.InferOutput<typeof ChainStateSchema>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Validates untrusted input; never throws. The error names the first offending path. */
export function parse<T extends v.GenericSchema>(
  schema: T,
  input: unknown,
): ParseResult<v.InferOutput<T>> {
  const result = v.safeParse(schema, input);
  if (result.success) return { ok: true, value: result.output };
  const issue = result.issues[0];
  const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
  return { ok: false, error: path ? `${path}: ${issue.message}` : issue.message };
}
