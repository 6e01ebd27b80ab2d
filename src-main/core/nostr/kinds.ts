/**
 * Every Nostr event kind the project speaks (PROTOCOL.md). Nothing else in the code
 * hard-codes a kind number.
 */
export const Kind = {
  Metadata: 0,
  TextNote: 1,
  EncryptedDirectMessage: 4, // NIP-04 (legacy DMs)
  Deletion: 5, // NIP-09
  ChannelCreate: 40, // NIP-28
  ChannelMetadata: 41,
  ChannelMessage: 42,
  Seal: 13, // NIP-59
  PrivateDirectMessage: 14, // NIP-17 rumor
  GiftWrap: 1059, // NIP-59
  ZapReceipt: 9735, // NIP-57

  // NIP-SA agent kinds (the 39200 block; the seeds' 38000–38031 numbers collide with another NIP).
  AgentProfile: 39200,
  AgentState: 39201,
  AgentSchedule: 39202,
  AgentGoals: 39203,
  TickRequest: 39210,
  TickResult: 39211,
  GuardianApprovalRequest: 39212,
  GuardianApproval: 39213,
  TrajectorySession: 39230,
  TrajectoryEvent: 39231,

  // NIP-90 / NIP-89 compute market.
  TextGenerationRequest: 5050,
  TextGenerationResult: 6050,
  JobFeedback: 7000,
  HandlerAnnouncement: 31990,
} as const;

/** Old numbers from the seed documents, accepted when parsing only. */
export const LegacyAgentKind = {
  AgentProfile: 38000,
  AgentState: 38001,
  AgentSchedule: 38002,
  AgentGoals: 38003,
  TickRequest: 38010,
  TickResult: 38011,
  TrajectorySession: 38030,
  TrajectoryEvent: 38031,
} as const;

export function isAddressable(kind: number): boolean {
  return kind >= 30000 && kind < 40000;
}

export function isReplaceable(kind: number): boolean {
  return kind === 0 || kind === 3 || (kind >= 10000 && kind < 20000);
}

export function isEphemeral(kind: number): boolean {
  return kind >= 20000 && kind < 30000;
}
