/** A numbered schema change of one dialect, recorded in `fleetgate_migrations` once applied. */
export interface Migration {
  id: number;
  name: string;
  statements: string[];
}
