// The first cell of every notebook (and the start of every script): which profile, backend and device.
import { Profile, currentProfile } from "./config";
import { BackendInfo, describeBackend, initBackend } from "./backend";
import { inNotebook } from "./in-notebook";
import { text } from "./report/text/index";

export interface Session {
  profile: Profile;
  backend: BackendInfo;
}

/**
 * Starts the backend chain and prints the profile. A script also prints the backend, its device and why other
 * backends were skipped; a notebook prints only which backend renders it (labelled as the renderer: its results
 * were trained wherever the provenance table at its end says), so that its output does not depend on the machine
 * that executes it. `describeBackend(session.backend)` shows the details in a notebook.
 */
export async function startSession(): Promise<Session> {
  const profile = currentProfile();
  const backend = await initBackend({ quiet: true });
  console.log(sessionText(profile, backend, inNotebook()));
  return { profile, backend };
}

/** What startSession prints, in a notebook or in a script. */
export function sessionText(profile: Profile, backend: BackendInfo, notebook: boolean): string {
  if (!notebook) return `profile: ${profile.name} (${profile.description})\n${describeBackend(backend)}`;
  const t = text().session;
  return t.notebook(profile.name, t.profiles[profile.name] ?? profile.description, backend.choice);
}
