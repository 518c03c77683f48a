/**
 * What each role may do in the console and its API. The server checks the role of every change;
 * what a page shows or hides is only a courtesy.
 */
export const roles = ['owner', 'admin', 'viewer'] as const;
export type Role = (typeof roles)[number];

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}

const rank: Record<Role, number> = { viewer: 0, admin: 1, owner: 2 };

/** Whether a person with `role` may do what needs `needed`. */
export function roleAllows(role: Role, needed: Role): boolean {
  return rank[role] >= rank[needed];
}

/** The role in a merchant's words, for pages and messages. */
export const roleDescriptions: Record<Role, string> = {
  owner: 'Owner: everything, including people and the vault',
  admin: 'Admin: accounts, routing, funnels and refunds',
  viewer: 'Viewer: reads everything, changes nothing',
};
