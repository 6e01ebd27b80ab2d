import { initial } from './0001-initial.js';
import { nostr } from './0002-nostr.js';
import { models } from './0003-models.js';
import { provider } from './0004-provider.js';
import { nostrVersions } from './0005-nostr-versions.js';
import { providerGovernor } from './0006-provider-governor.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Every schema change is a new numbered file here; applied migrations are never edited. */
export const migrations: readonly Migration[] = [initial, nostr, models, provider, nostrVersions, providerGovernor];
