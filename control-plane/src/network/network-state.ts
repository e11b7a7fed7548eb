import type { CentralService, ServicePolicy } from '@tether/shared';
import type { Role } from '../auth/access-policy.js';

/** A token by name and role: what a network file says of it. */
export interface NetworkToken {
  name: string;
  role: Role;
}

/** What a network file manages, as the control plane holds it now. Lists ordered by name. */
export interface NetworkState {
  services: CentralService[];
  policies: Record<string, ServicePolicy>;
  tokens: NetworkToken[];
}
