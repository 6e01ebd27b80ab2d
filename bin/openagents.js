#!/usr/bin/env node
// The `openagents` command. It runs the TypeScript sources through tsx, so an installed
// checkout needs no separate build step for the CLI and the daemon.
import { register } from 'tsx/esm/api';

register();
await import('../src-main/cli/main.ts');
