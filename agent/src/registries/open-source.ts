import type { Clock } from '@tether/shared';
import type { AgentLogger } from '../observability/logger.js';
import type { RouteSource } from '../sources/route-source.js';
import type { SourceConfig } from '../sources/source-url.js';

/**
 * Opens a configured source. Each kind's module (and its client: etcd3 and gRPC, bonjour-service) is loaded only
 * here, when a source of that kind is configured, so an agent without one pays nothing for it.
 */
export async function openSource(
  config: SourceConfig,
  logger: AgentLogger,
  clock: Clock,
): Promise<RouteSource> {
  switch (config.type) {
    case 'file': {
      const { FileSource } = await import('./file-source.js');
      return new FileSource(config, logger, clock);
    }
    case 'etcd': {
      const { EtcdSource } = await import('./etcd-source.js');
      return new EtcdSource(config, logger);
    }
    case 'mdns': {
      const { MdnsSource } = await import('./mdns-source.js');
      return new MdnsSource(config, logger, clock);
    }
  }
}
