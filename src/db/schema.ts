/**
 * The tables as Kysely sees them. Times are ISO-8601 UTC strings and JSON is text, so SQLite and
 * PostgreSQL return the same shapes; money is integer minor units.
 */
export interface Database {
  workspaces: WorkspaceTable;
}

export interface WorkspaceTable {
  workspace_id: string;
  name: string;
  created_at: string;
}
