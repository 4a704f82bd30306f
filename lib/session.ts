// The first cell of every notebook (and the start of every script): which profile, backend and device.
import { Profile, currentProfile } from "./config";
import { BackendInfo, describeBackend, initBackend } from "./backend";

export interface Session {
  profile: Profile;
  backend: BackendInfo;
}

/** Starts the backend chain and prints profile, backend and device (and why other backends were skipped). */
export async function startSession(): Promise<Session> {
  const profile = currentProfile();
  const backend = await initBackend({ quiet: true });
  console.log(`profile: ${profile.name} (${profile.description})\n${describeBackend(backend)}`);
  return { profile, backend };
}
