// The pinned Temporal CLI: scripts/setup-temporal.mjs builds it, and
// scripts/setup-temporal-server.mjs builds the server version it embeds.
export const TEMPORAL_CLI_VERSION = '1.5.1';
