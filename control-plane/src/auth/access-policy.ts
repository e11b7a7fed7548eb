import { z } from 'zod';

/** The roles of API tokens: `admin` everything, `viewer` reads, `caller` only calls through `/call/...`. */
export const ROLES = ['admin', 'viewer', 'caller'] as const;
/** One role. */
export type Role = (typeof ROLES)[number];
/** A role, validated. */
export const RoleSchema = z.enum(ROLES);

/**
 * What a route needs, said by its record (never derived from the path): nothing, any valid token, read access,
 * admin rights, or the right to call services through `/call`.
 */
export type Access = 'public' | 'identified' | 'read' | 'admin' | 'call';

/** True when `role` grants `access`. */
export function roleAllows(role: Role, access: Access): boolean {
  switch (access) {
    case 'public':
    case 'identified':
      return true;
    case 'read':
      return role === 'admin' || role === 'viewer';
    case 'call':
      return role === 'admin' || role === 'caller';
    case 'admin':
      return role === 'admin';
    default: {
      const unreachable: never = access;
      return unreachable;
    }
  }
}
