// What notebooks and scripts hold on to: the session, the study's data and the experiments, ready to run or load.
import { loadStudyData } from "../data/study";
import type { Session } from "../session";
import { Runner } from "./experiment";
import { EXPERIMENTS_BY_ID } from "./registry";

/** Set RETRAIN=1 to make notebooks train again instead of rendering from existing result files. */
export const RETRAIN_ENV = "RETRAIN";

export function retrainRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[RETRAIN_ENV] === "1";
}

export async function createRunner(session: Session): Promise<Runner> {
  const data = await loadStudyData(session.profile);
  return { profile: session.profile, backend: session.backend, data, experiments: EXPERIMENTS_BY_ID };
}
