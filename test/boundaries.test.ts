import { ESLint } from 'eslint';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/harness.js';

// The process boundaries of docs/ARCHITECTURE.md are lint rules; this proves they fire.
const eslint = new ESLint({ cwd: ROOT });

async function restricted(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import boundaries', () => {
  it('keeps electron out of the core and the CLI', async () => {
    expect(await restricted('src-main/core/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).toHaveLength(1);
    expect(await restricted('src-main/cli/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).toHaveLength(1);
    expect(await restricted('src-main/electron/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).toHaveLength(0);
  });

  it('keeps the core independent of its faces', async () => {
    expect(await restricted('src-main/core/x.ts', "import { runDaemon } from '../cli/daemon.js';\nexport const a = runDaemon;\n")).toHaveLength(1);
  });

  it('lets the renderer import only the API contract from src-main, and nothing Node-only', async () => {
    expect(await restricted('src-renderer/src/x.ts', "import type { Result } from '../../src-main/core/api/contract';\nexport type R = Result<number>;\n")).toHaveLength(0);
    expect(await restricted('src-renderer/src/x.ts', "import { OpenAgentsNode } from '../../src-main/core/node';\nexport const a = OpenAgentsNode;\n")).toHaveLength(1);
    expect(await restricted('src-renderer/src/x.ts', "import fs from 'node:fs';\nexport const a = fs;\n")).toHaveLength(1);
    expect(await restricted('src-renderer/src/x.ts', "import Database from 'better-sqlite3';\nexport const a = Database;\n")).toHaveLength(1);
    expect(await restricted('src-renderer/src/x.ts', "import { ipcRenderer } from 'electron';\nexport const a = ipcRenderer;\n")).toHaveLength(1);
  });
});
