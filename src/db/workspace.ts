/** Switchyard serves one business per installation for now; every row still names its workspace. */
export const DEFAULT_WORKSPACE_ID = 'default';
