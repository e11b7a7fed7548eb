import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/processes.js';

/** The project's own lint config, import rules only (the code below is not on disk for typed rules). */
const eslint = new ESLint({
  cwd: ROOT,
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
  overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
});

/** The import refusals of `code` linted as if it were the file at `path` (relative to the repository). */
async function restricted(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}/${path}` });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

// Each row crosses one boundary of docs/architecture.md; the lint must refuse it. The last rows stay inside.
describe('the layers are enforced by the lint', () => {
  it.each([
    ['shared/src/x.ts', "import { startAgent } from '@tether/agent';"],
    ['shared/src/x.ts', "import { x } from '../../control-plane/src/index.js';"],
    ['control-plane/src/agents/sync/x.ts', "import { createGateway } from '../../http/gateway.js';"],
    ['control-plane/src/reports/x.ts', "import { RedisClaims } from '../cluster/redis-claims.js';"],
    ['control-plane/src/calls/x.ts', "import { createBroker } from '../broker/create-broker.js';"],
    ['control-plane/src/policy/x.ts', "import { main } from '../cli/main.js';"],
    ['control-plane/src/api/x.ts', "import { Liveness } from '../agents/liveness.js';"],
    ['control-plane/src/store/x.ts', "import { CallRouter } from '../calls/call-router.js';"],
    ['control-plane/src/http/x.ts', "import { serve } from '../cli/serve-command.js';"],
    ['control-plane/src/network/x.ts', "import { createGateway } from '../http/gateway.js';"],
    ['control-plane/src/store/x.ts', "import { readNetwork } from '../network/network-store.js';"],
    ['control-plane/src/calls/x.ts', "import { TcpListeners } from '../tcp/tcp-listeners.js';"],
    ['control-plane/src/tcp/x.ts', "import { serve } from '../cli/serve-command.js';"],
    ['control-plane/src/calls/x.ts', "import { openBase } from '../wiring/open-base.js';"],
    ['control-plane/src/http/x.ts', "import { startBroker } from '../wiring/start-broker.js';"],
    ['control-plane/src/store/x.ts', "import { openBase } from '../wiring/open-base.js';"],
    ['agent/src/services/x.ts', "import { MqttTransport } from '../link/mqtt-transport.js';"],
    ['agent/src/reports/x.ts', "import { resolveConfig } from '../config/resolve-config.js';"],
    ['agent/src/observability/x.ts', "import { Outbox } from '../reports/outbox.js';"],
    ['agent/src/link/x.ts', "import { startAgent } from '../agent.js';"],
    ['agent/src/sync/x.ts', "import { startSources } from '../wiring/start-sources.js';"],
    ['agent/src/api/x.ts', "import { createHubLink } from '../wiring/hub-link.js';"],
    ['agent/src/sync/x.ts', "import { x } from '@tether/shared/src/index.js';"],
  ])('%s may not %s', async (path, code) => {
    expect(await restricted(path, `${code}\nexport {};\n`)).not.toEqual([]);
  });

  it.each([
    ['control-plane/src/http/x.ts', "import { CallRouter } from '../calls/call-router.js';"],
    ['control-plane/src/agents/x.ts', "import { Metrics } from '../observability/metrics.js';"],
    ['agent/src/api/x.ts', "import { Outbox } from '../reports/outbox.js';"],
    ['agent/src/config/x.ts', "import { ApiFileSchema } from '../api/api-settings.js';"],
  ])('%s may %s', async (path, code) => {
    expect(await restricted(path, `${code}\nexport {};\n`)).toEqual([]);
  });
});
